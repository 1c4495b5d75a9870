package dev.partnerbenefits

import java.time.Duration
import java.time.Instant
import java.util.concurrent.CopyOnWriteArrayList

/** The instant every test starts at. */
internal val T0: Instant = Instant.parse("2026-03-02T09:00:00Z")

internal fun days(n: Long): Duration = Duration.ofDays(n)

/** A center with one organization (Contoso) and its first Global admin. */
internal class World(
    val clock: ManualClock = ManualClock(T0),
    mailer: Mailer? = null,
    stockDemoKeys: Boolean = true,
) : AutoCloseable {
    val center: BenefitCenter = BenefitCenter.inMemory(clock, mailer, stockDemoKeys)
    val org: Organization =
        center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
    val admin: Session = center.session(org.id, org.adminId)

    fun user(name: String, vararg roles: Role): String =
        admin.addUser(name, "${name.lowercase().replace(' ', '.')}@contoso.com", roles.toList())

    fun benefit(pkg: Package, code: String): Benefit = admin.benefits(pkg.id).single { it.code == code }

    /** An id of this organization that names nothing, e.g. `ben-1-999`. */
    fun missing(prefix: String): String = "$prefix-${org.id.removePrefix("org-")}-999"

    override fun close() {
        admin.close()
        center.close()
        clock.close()
    }
}

/** A host mailer that keeps what it is given. */
internal class RecordingMailer : Mailer {
    val sent = CopyOnWriteArrayList<Mail>()

    override fun send(mail: Mail): Boolean = sent.add(mail)
}

/** The stable code of any binding exception; `when` is exhaustive, so a new case fails compilation. */
internal fun codeOf(e: BenefitsException): String = when (e) {
    is BenefitsException.PermissionDenied -> e.code
    is BenefitsException.NotFound -> e.code
    is BenefitsException.InvalidInput -> e.code
    is BenefitsException.InvalidCatalog -> e.code
    is BenefitsException.Conflict -> e.code
    is BenefitsException.CapacityExhausted -> e.code
    is BenefitsException.RefundNotAllowed -> e.code
    is BenefitsException.InsufficientBalance -> e.code
    is BenefitsException.InvalidTransition -> e.code
    is BenefitsException.PreconditionFailed -> e.code
    is BenefitsException.Storage -> e.code
    is BenefitsException.Mail -> e.code
}
