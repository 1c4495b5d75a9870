package dev.partnerbenefits

import java.math.BigDecimal
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** Each case of the sealed BenefitsException, raised through the real library, with its stable code. */
class ErrorsTest {
    private inline fun <reified E : BenefitsException> expect(code: String, block: () -> Unit): E {
        val e = assertThrows<E> { block() }
        assertEquals(code, codeOf(e))
        assertTrue(e.message!!.contains(code), e.message)
        return e
    }

    @Test
    fun permissionDenied() {
        World().use { w ->
            val dev = w.user("Devon Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            val e = expect<BenefitsException.PermissionDenied>("permission_denied") {
                w.center.session(w.org.id, dev).assignUser(w.benefit(pkg, "visual-studio").id, dev)
            }
            assertTrue(e.detail.contains("Global admin"), e.detail)
        }
    }

    @Test
    fun notFound() {
        World().use { w ->
            expect<BenefitsException.NotFound>("not_found") { w.admin.benefit(w.missing("ben")) }
            expect<BenefitsException.NotFound>("not_found") { w.admin.getPackage(w.missing("pkg")) }
            expect<BenefitsException.NotFound>("not_found") { w.center.auditLog("org-999") }
            // A user of another organization does not exist here (B1).
            val other = w.center.createOrganization("Fabrikam", "partners@fabrikam.com", "Fay Admin", "fay@fabrikam.com")
            expect<BenefitsException.NotFound>("not_found") { w.center.session(w.org.id, other.adminId).users() }
            expect<BenefitsException.NotFound>("not_found") { w.admin.purchasePackage("no-such-package") }
        }
    }

    @Test
    fun invalidInput() {
        World().use { w ->
            val e = expect<BenefitsException.InvalidInput>("invalid_input") {
                w.center.createOrganization("Contoso", "not-an-email", "Avery", "avery@contoso.com")
            }
            assertEquals("account_email", e.field)
            assertEquals("retries", expect<BenefitsException.InvalidInput>("invalid_input") { w.admin.withRetries(-2) }.field)
            expect<BenefitsException.InvalidInput>("invalid_input") { w.center.session("organization one", w.org.adminId) }
            expect<BenefitsException.InvalidInput>("invalid_input") { w.admin.benefit("pkg-1-1") }
            expect<BenefitsException.InvalidInput>("invalid_input") { w.admin.withRetries(-1) }
            expect<BenefitsException.InvalidInput>("invalid_input") { w.center.program().stockKeys("windows-server", listOf("bad\u0007key")) }
            expect<BenefitsException.InvalidInput>("invalid_input") {
                w.admin.setMarketingContact(w.org.adminId, "m@contoso.com", "12", "en")
            }
        }
    }

    @Test
    fun invalidCatalog() {
        ManualClock(T0).use { clock ->
            val e = expect<BenefitsException.InvalidCatalog>("invalid_catalog") {
                BenefitCenter.inMemory(clock, catalog = """{"schema_version": 1, "packages": []}""")
            }
            assertTrue(e.detail.isNotEmpty())
            expect<BenefitsException.InvalidCatalog>("invalid_catalog") { BenefitCenter.inMemory(clock, catalog = "not json") }
        }
    }

    @Test
    fun conflict() {
        World().use { w ->
            val once = w.admin.withIdempotencyKey("k-1")
            once.purchasePackage("action-pack")
            expect<BenefitsException.Conflict>("conflict") { once.purchasePackage("gold-core") }
            val pkg = w.admin.packages().single()
            val dev = w.user("Devon Dev")
            val vs = w.benefit(pkg, "visual-studio")
            w.admin.assignUser(vs.id, dev)
            expect<BenefitsException.Conflict>("conflict") { w.admin.assignUser(vs.id, dev) }
        }
    }

    @Test
    fun capacityExhausted() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            (1..3).forEach { w.admin.assignUser(vs.id, w.user("User $it")) }
            val fourth = w.user("User Four")
            expect<BenefitsException.CapacityExhausted>("capacity_exhausted") { w.admin.assignUser(vs.id, fourth) }
        }
        // Without demo keys the pools are empty: nothing to sell.
        World(stockDemoKeys = false).use { w ->
            assertEquals(0L, w.center.program().keyPool("windows-server").stocked)
            expect<BenefitsException.CapacityExhausted>("capacity_exhausted") { w.admin.purchasePackage("action-pack") }
            assertEquals(listOf<Package>(), w.admin.packages())
        }
    }

    @Test
    fun refundNotAllowed() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            w.admin.cancelPackage(pkg.id)
            val e = expect<BenefitsException.RefundNotAllowed>("refund_not_allowed") { w.admin.cancelPackage(pkg.id) }
            assertEquals("already_cancelled", e.reason)
        }
    }

    @Test
    fun insufficientBalance() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val advisory = w.benefit(pkg, "advisory-hours")
            w.admin.activateTechnical(advisory.id, w.org.adminId, "avery.alt@example.net")
            w.clock.advanceDays(3)
            val e = expect<BenefitsException.InsufficientBalance>("insufficient_balance") {
                w.admin.requestAssistance(advisory.id, Phase.PRESALES, BigDecimal("5.5"), "too much")
            }
            assertTrue(e.detail.contains("5.5"), e.detail)
            assertEquals(BigDecimal("5.5"), e.requested)
            assertEquals(0, BigDecimal("5").compareTo(e.available))
        }
    }

    @Test
    fun invalidTransition() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val advisory = w.benefit(pkg, "advisory-hours")
            w.admin.activateTechnical(advisory.id, w.org.adminId, "avery.alt@example.net")
            w.clock.advanceDays(3)
            val request = w.admin.requestAssistance(advisory.id, Phase.PRESALES, BigDecimal("1"), "one hour")
            w.center.program().completeRequest(w.org.id, request)
            expect<BenefitsException.InvalidTransition>("invalid_transition") { w.admin.withdrawRequest(request) }
            expect<BenefitsException.InvalidTransition>("invalid_transition") { w.center.program().completeRequest(w.org.id, request) }
        }
    }

    @Test
    fun preconditionFailed() {
        World().use { w ->
            w.admin.purchasePackage("action-pack")
            val e = expect<BenefitsException.PreconditionFailed>("precondition_failed") {
                w.admin.activateOffer(w.admin.offers().single().id)
            }
            assertTrue(e.detail.contains("marketing contact"), e.detail)
        }
    }

    @Test
    fun storage(@TempDir dir: Path) {
        val notADatabase = dir.resolve("notes.txt")
        Files.writeString(notADatabase, "this is not a SQLite database, just text ".repeat(200))
        ManualClock(T0).use { clock ->
            expect<BenefitsException.Storage>("storage") { BenefitCenter.open(notADatabase.toString(), clock) }
            expect<BenefitsException.Storage>("storage") { BenefitCenter.open(dir.resolve("missing/dir/db.sqlite").toString(), clock) }
        }
    }

    @Test
    fun mailIsWhatAHostMailerThrows() {
        val refusing = object : Mailer {
            override fun send(mail: Mail): Boolean = throw BenefitsException.Mail("mail", "relay refused ${mail.id}")
        }
        World(mailer = refusing).use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            w.admin.assignUser(w.benefit(pkg, "visual-studio").id, w.user("Devon Dev"))
            assertEquals(DispatchReport(0, 1, 0), w.center.dispatchMail())
            val entry = w.center.outbox().single()
            assertEquals(Delivery.FAILED, entry.delivery)
            assertTrue(entry.lastError!!.contains("relay refused mail-"), entry.lastError)
        }
    }

    private fun refused(what: String, block: () -> Unit) {
        try {
            block()
        } catch (e: BenefitsException) {
            return
        }
        fail<Unit>("$what was accepted")
    }

    @Test
    fun noInputMakesTheLibraryPanic() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val advisory = w.benefit(pkg, "advisory-hours").id
            val weird = listOf("", " ", "\u0000", "ben-", "ben-1-", "ben-99999999999999999999-1", "💥".repeat(10_000), "x".repeat(1_000_000))
            for (text in weird) {
                refused("w.admin.benefit: ${text.take(20)}") { w.admin.benefit(text) }
                refused("w.admin.purchasePackage: ${text.take(20)}") { w.admin.purchasePackage(text) }
                refused("w.admin.addUser: ${text.take(20)}") { w.admin.addUser(text, text, listOf()) }
                refused("w.admin.getKeys: ${text.take(20)}") { w.admin.getKeys(text, text, text) }
                refused("w.center.session: ${text.take(20)}") { w.center.session(text, text) }
                // Any well-formed product code names a (maybe empty) pool; the rest is refused.
                try {
                    w.center.program().keyPool(text)
                } catch (e: BenefitsException.InvalidInput) {
                    assertEquals("invalid_input", e.code)
                }
                refused("w.admin.executeJson: ${text.take(20)}") { w.admin.executeJson(text) }
            }
            for (amount in listOf("0", "-1", "1E+40", "1E-40", "79228162514264337593543950336", "0.00000000000000000000000000001")) {
                refused("w.admin.requestAssistance: $amount") { w.admin.requestAssistance(advisory, Phase.DESIGN, BigDecimal(amount), "x") }
            }
            for (instant in listOf(Instant.MAX, Instant.MIN)) {
                assertThrows<BenefitsException.InvalidInput> { ManualClock(instant) }
                assertThrows<BenefitsException.InvalidInput> { w.clock.set(instant) }
            }
            assertThrows<BenefitsException.InvalidInput> { w.clock.advance(Long.MAX_VALUE) }
            assertThrows<BenefitsException.InvalidInput> { w.clock.advanceDays(Long.MIN_VALUE) }
            assertEquals(T0, w.clock.now())
            assertFalse(w.admin.packages().isEmpty())
        }
    }
}
