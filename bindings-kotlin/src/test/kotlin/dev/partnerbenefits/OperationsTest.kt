package dev.partnerbenefits

import java.math.BigDecimal
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Offboarding (`removeUser`), bulk assignment with a dry run (`assignUsers`) and `usage()`, through the binding. */
class OperationsTest {
    private fun Session.usageOf(benefitId: String): Usage = usage().single { it.benefitId == benefitId }

    // ----- offboarding -----

    @Test
    fun removingAUserReleasesWhatTheyHoldAndTheyAreGone() {
        World().use { w ->
            val dev = w.user("Devon Dev")
            val leaver = w.user("Lee Leaver", Role.GLOBAL_ADMIN)
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            val azure = w.benefit(pkg, "azure-credit")
            val hours = w.benefit(pkg, "advisory-hours")
            w.admin.assignUser(vs.id, leaver)
            w.admin.assignUser(vs.id, dev)
            w.center.session(w.org.id, leaver).use { it.assignUser(azure.id, leaver) }
            w.admin.activateTechnical(hours.id, leaver, "lee.alt@example.com")

            w.admin.removeUser(leaver)

            assertEquals(listOf(dev), w.benefit(pkg, "visual-studio").assignedUsers)
            assertEquals(listOf<String>(), w.benefit(pkg, "azure-credit").assignedUsers)
            val technical = w.benefit(pkg, "advisory-hours")
            assertEquals(Status.NOT_ACTIVATED, technical.status)
            assertNull(technical.alternateEmail)
            assertTrue(w.admin.users().none { it.id == leaver })
            // The remaining Global admin is told, once.
            val mail = w.center.outbox().map { it.mail }.single { it.topic == "user_removed" }
            assertEquals(listOf("avery@contoso.com"), mail.to)
            // Gone: not found as a target, and as an actor.
            val again = assertThrows<BenefitsException.NotFound> { w.admin.removeUser(leaver) }
            assertEquals("not_found", codeOf(again))
            w.center.session(w.org.id, leaver).use { s -> assertThrows<BenefitsException.NotFound> { s.users() } }
            assertThrows<BenefitsException.InvalidInput> { w.admin.removeUser("nobody") }
        }
    }

    @Test
    fun theLastGlobalAdminAndTheMarketingContactStay() {
        World().use { w ->
            val before = w.admin.auditLog()
            val last = assertThrows<BenefitsException.PreconditionFailed> { w.admin.removeUser(w.org.adminId) }
            assertEquals("precondition_failed", codeOf(last))
            assertEquals(before, w.admin.auditLog())
            val contact = w.user("Mona Marketing")
            w.admin.setMarketingContact(contact, "mona.m@example.com", "+1 425 555 0100", "en")
            val held = assertThrows<BenefitsException.PreconditionFailed> { w.admin.removeUser(contact) }
            assertEquals("precondition_failed", codeOf(held))
            assertTrue(w.admin.users().any { it.id == contact })
        }
    }

    @Test
    fun aUserAdminCannotRemoveAGlobalAdmin() {
        World().use { w ->
            val userAdmin = w.user("Uma Useradmin", Role.USER_ADMIN)
            val dev = w.user("Devon Dev")
            w.center.session(w.org.id, userAdmin).use { s ->
                val refused = assertThrows<BenefitsException.PermissionDenied> { s.removeUser(w.org.adminId) }
                assertEquals("permission_denied", codeOf(refused))
                s.removeUser(dev)
            }
            assertEquals(listOf(w.org.adminId, userAdmin), w.admin.users().map { it.id })
        }
    }

    // ----- bulk assignment -----

    @Test
    fun oneResultPerRowInOrderWithTheCodeASingleCallWouldGive() {
        World().use { w ->
            val (a, b, c, d) = listOf("Ann One", "Ben Two", "Cat Three", "Dan Four").map { w.user(it) }
            val gone = w.user("Gil Gone")
            w.admin.removeUser(gone)
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio") // 3 seats

            val results = w.admin.assignUsers(vs.id, listOf(a, b, a, gone, c, d), false)

            assertEquals(
                listOf(
                    Triple(a, true, null),
                    Triple(b, true, null),
                    Triple(a, false, "conflict"),
                    Triple(gone, false, "not_found"),
                    Triple(c, true, null),
                    Triple(d, false, "capacity_exhausted"),
                ),
                results.map { Triple(it.userId, it.ok, it.code) },
            )
            assertNull(results[0].message)
            assertTrue(results[5].message!!.contains("all 3 seats are assigned"), results[5].message)
            assertEquals(listOf(a, b, c).sorted(), w.benefit(pkg, "visual-studio").assignedUsers.sorted())
            val single = assertThrows<BenefitsException.CapacityExhausted> { w.admin.assignUser(vs.id, d) }
            assertEquals(results[5].code, codeOf(single))
        }
    }

    @Test
    fun aDryRunCommitsNothingAndEqualsTheRealRunThatFollows() {
        World().use { w ->
            val users = listOf("Ann One", "Ben Two", "Cat Three", "Dan Four").map { w.user(it) }
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            val log = w.admin.auditLog()
            val outbox = w.center.outbox()

            val dry = w.admin.assignUsers(vs.id, users, dryRun = true)

            assertEquals(log, w.admin.auditLog())
            assertEquals(outbox, w.center.outbox())
            assertEquals(listOf<String>(), w.benefit(pkg, "visual-studio").assignedUsers)
            // `dryRun` defaults to false, as in Python.
            val real = w.admin.assignUsers(vs.id, users)
            assertEquals(dry, real)
            assertEquals(listOf(true, true, true, false), real.map { it.ok })
            assertEquals(3, w.benefit(pkg, "visual-studio").assignedUsers.size)
        }
    }

    @Test
    fun tooManyRowsAreInvalidInputAndBadIdsAreRefusedWhole() {
        World().use { w ->
            val dev = w.user("Devon Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            val tooMany = assertThrows<BenefitsException.InvalidInput> { w.admin.assignUsers(vs.id, List(10_001) { dev }, false) }
            assertEquals("invalid_input", codeOf(tooMany))
            assertEquals("user_ids", tooMany.field)
            assertTrue(tooMany.detail.contains("10000"), tooMany.detail)
            val malformed = assertThrows<BenefitsException.InvalidInput> { w.admin.assignUsers(vs.id, listOf(dev, "nobody"), false) }
            assertEquals("user id", malformed.field)
            assertEquals(listOf<String>(), w.benefit(pkg, "visual-studio").assignedUsers)
            assertEquals(listOf<AssignmentResult>(), w.admin.assignUsers(vs.id, listOf(), false))
            w.center.session(w.org.id, dev).use { s ->
                assertThrows<BenefitsException.PermissionDenied> { s.assignUsers(vs.id, listOf(dev), true) }
            }
        }
    }

    // ----- usage -----

    @Test
    fun usageCountsSeatsNowAndTheMostEverHeld() {
        World().use { w ->
            val (a, b, c, d) = listOf("Ann One", "Ben Two", "Cat Three", "Dan Four").map { w.user(it) }
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            w.admin.assignUsers(vs.id, listOf(a, b, c), false)
            w.admin.unassignUser(vs.id, a)
            w.admin.unassignUser(vs.id, b)
            w.admin.assignUser(vs.id, d)

            val seats = w.admin.usageOf(vs.id)
            assertEquals(Usage(vs.id, pkg.id, vs.name, Category.VISUAL_STUDIO, 3L, 2L, 3L, null, null, null), seats)
            // Removing a holder lowers `assigned`, never `peak`.
            w.admin.removeUser(c)
            assertEquals(1L to 3L, w.admin.usageOf(vs.id).let { it.assigned to it.peak })
            // Keys and offers are not assigned to users: no rows.
            assertTrue(w.admin.usage().none { it.category == Category.SOFTWARE || it.category == Category.GO_TO_MARKET })
        }
    }

    @Test
    fun hoursBenefitsReportAllocatedUsedAndBalance() {
        World().use { w ->
            val dev = w.user("Devon Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            val hours = w.benefit(pkg, "advisory-hours")
            w.admin.activateTechnical(hours.id, dev, "dev.alt@example.com")
            w.clock.advanceDays(5)
            w.admin.requestAssistance(hours.id, Phase.DESIGN, BigDecimal("2.5"), "architecture review")
            val row = w.admin.usageOf(hours.id)
            assertEquals(Category.TECHNICAL, row.category)
            assertEquals(Triple(1L, 1L, 1L), Triple(row.seats, row.assigned, row.peak))
            assertEquals(hours.allocated, row.allocated)
            assertEquals(0, BigDecimal("2.5").compareTo(row.used!!))
            assertEquals(0, hours.allocated!!.subtract(BigDecimal("2.5")).compareTo(row.balance!!))
        }
    }
}
