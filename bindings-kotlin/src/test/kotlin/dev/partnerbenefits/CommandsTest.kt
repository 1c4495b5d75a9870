package dev.partnerbenefits

import java.math.BigDecimal
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Typed commands: the variants of Python's `pb.Command.*`, through `execute` and the atomic `executeBatch`. */
class CommandsTest {
    @Test
    fun executeReturnsTheOutcome() {
        World().use { w ->
            val bought = w.admin.execute(Command.PurchasePackage("action-pack"))
            assertEquals("package_purchased", bought.kind)
            assertEquals("pkg-1-1", bought.packageId)
            assertNull(bought.userId)
            assertNull(bought.refund)
            // Defaults as in Python: no roles, the default language.
            val added = w.admin.execute(Command.AddUser("Eve", "eve@contoso.com"))
            assertEquals("user_added", added.kind)
            assertEquals(listOf<Role>(), w.admin.users().single { it.id == added.userId }.roles)
            val pkg = w.admin.getPackage("pkg-1-1")
            val office = w.benefit(pkg, "office-professional-plus")
            val revealed = w.admin.execute(Command.GetKeys(office.id, language = "en", os = "x64"))
            assertEquals("keys_revealed", revealed.kind)
            assertEquals(office.id, revealed.benefitId)
            // The outcome names the benefit; it holds no key.
            assertTrue(revealed.toString().contains(office.id) && !revealed.toString().contains("DEMO-"), revealed.toString())
            val refused = w.admin.execute(Command.CancelPackage(pkg.id))
            assertEquals("cancellation_refused", refused.kind)
            assertEquals("software_activated", refused.refusal)
            assertTrue(refused.requestId!!.startsWith("req-1-"), refused.requestId)
        }
    }

    @Test
    fun aBatchIsAllOrNothing() {
        World().use { w ->
            val good = Command.PurchasePackage("action-pack")
            val bad = Command.AddUser("Eve", "not-an-address")
            assertThrows<BenefitsException.InvalidInput> { w.admin.executeBatch(listOf(good, good, bad)) }
            assertEquals(listOf<Package>(), w.admin.packages())
            val outcomes = w.admin.executeBatch(listOf(good, Command.AddUser("Eve", "eve@contoso.com", listOf(Role.ADMIN_AGENT))))
            assertEquals(listOf("package_purchased", "user_added"), outcomes.map { it.kind })
            assertEquals(listOf<Outcome>(), w.admin.executeBatch(listOf()))
        }
    }

    @Test
    fun aBatchSeesItsOwnEarlierCommands() {
        World().use { w ->
            val dev = w.user("Devon Dev")
            val dev2 = w.user("Dana Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            val hours = w.benefit(pkg, "advisory-hours")
            val outcomes = w.admin.executeBatch(
                listOf(
                    Command.AssignUser(vs.id, dev),
                    Command.ReassignUser(vs.id, fromUser = dev, toUser = dev2),
                    Command.ActivateTechnical(hours.id, dev, "dev.alt@example.com"),
                    Command.SetMarketingContact(dev, "dev.marketing@example.com", "+1 425 555 0100", "en"),
                ),
            )
            assertEquals(List(4) { "done" }, outcomes.map { it.kind })
            assertEquals(listOf(dev2), w.benefit(pkg, "visual-studio").assignedUsers)
            w.clock.advanceDays(3)
            val offer = w.benefit(pkg, "go-to-market").offers[0]
            val request = w.admin.execute(Command.RequestAssistance(hours.id, Phase.PRESALES, BigDecimal("1.50"), "x"))
            val activated = w.admin.execute(Command.ActivateOffer(offer.id))
            assertEquals("request_submitted", request.kind)
            assertEquals("offer_activated", activated.kind)
            assertEquals(w.clock.now().plus(days(5)), activated.activeAt)
            assertEquals(BigDecimal("1.50"), w.admin.requests().single().amount)
            assertEquals("done", w.admin.execute(Command.WithdrawRequest(request.requestId!!)).kind)
            val granted = w.admin.execute(Command.CancelOffer(offer.id))
            assertEquals("cancellation_granted", granted.kind)
            assertNotNull(granted.refund)
            val renewed = assertThrows<BenefitsException.PreconditionFailed> { w.admin.execute(Command.RenewPackage(pkg.id)) }
            assertEquals("precondition_failed", renewed.code)
            assertEquals("done", w.admin.execute(Command.SetUserRoles(dev, listOf(Role.USER_ADMIN))).kind)
            assertEquals("done", w.admin.execute(Command.UnassignUser(vs.id, dev2)).kind)
        }
    }

    @Test
    fun aRemovalIsACommandToo() {
        World().use { w ->
            val dev = w.user("Devon Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            val outcomes = w.admin.executeBatch(listOf(Command.AssignUser(vs.id, dev), Command.RemoveUser(dev)))
            assertEquals(listOf("done", "done"), outcomes.map { it.kind })
            assertTrue(w.admin.users().none { it.id == dev })
            assertEquals(listOf<String>(), w.benefit(pkg, "visual-studio").assignedUsers)
            val again = assertThrows<BenefitsException.NotFound> { w.admin.execute(Command.RemoveUser(dev)) }
            assertEquals("not_found", again.code)
            assertThrows<BenefitsException.InvalidInput> { w.admin.execute(Command.RemoveUser("nobody")) }
        }
    }

    @Test
    fun idsAreCheckedAndCommandsAreValues() {
        World().use { w ->
            val e = assertThrows<BenefitsException.InvalidInput> { w.admin.execute(Command.AssignUser("ben-1-1", "nobody")) }
            assertEquals("invalid_input", e.code)
            assertThrows<BenefitsException.InvalidInput> { w.admin.executeBatch(listOf(Command.RenewPackage("pkg-"))) }
            // Data classes: equal by value.
            assertEquals(Command.RenewPackage("pkg-1-1"), Command.RenewPackage("pkg-1-1"))
            val unassign: Command = Command.UnassignUser("ben-1-1", "usr-1-2")
            val assign: Command = Command.AssignUser("ben-1-1", "usr-1-2")
            assertNotEquals(unassign, assign)
        }
    }

    /** Python's name for each variant; the `when` is exhaustive, so a new variant fails compilation here. */
    private fun pythonName(command: Command): String = when (command) {
        is Command.AddUser -> "add_user"
        is Command.SetUserRoles -> "set_user_roles"
        is Command.RemoveUser -> "remove_user"
        is Command.PurchasePackage -> "purchase_package"
        is Command.RenewPackage -> "renew_package"
        is Command.CancelPackage -> "cancel_package"
        is Command.CancelOffer -> "cancel_offer"
        is Command.GetKeys -> "get_keys"
        is Command.AssignUser -> "assign_user"
        is Command.UnassignUser -> "unassign_user"
        is Command.ReassignUser -> "reassign_user"
        is Command.ActivateTechnical -> "activate_technical"
        is Command.RequestAssistance -> "request_assistance"
        is Command.WithdrawRequest -> "withdraw_request"
        is Command.SetMarketingContact -> "set_marketing_contact"
        is Command.ActivateOffer -> "activate_offer"
    }

    @Test
    fun theVariantsAreThoseOfPython() {
        // Python's `pb.Command` constructors, in the core's order (Command::KINDS).
        val python = listOf(
            "add_user", "set_user_roles", "remove_user", "purchase_package", "renew_package", "cancel_package", "cancel_offer",
            "get_keys", "assign_user", "unassign_user", "reassign_user", "activate_technical", "request_assistance", "withdraw_request",
            "set_marketing_contact", "activate_offer",
        )
        val one = listOf(
            Command.AddUser("n", "e"), Command.SetUserRoles("u", listOf()), Command.RemoveUser("u"), Command.PurchasePackage("t"),
            Command.RenewPackage("p"), Command.CancelPackage("p"), Command.CancelOffer("o"), Command.GetKeys("b"), Command.AssignUser("b", "u"),
            Command.UnassignUser("b", "u"), Command.ReassignUser("b", "u", "v"), Command.ActivateTechnical("b", "u", "e"),
            Command.RequestAssistance("b", Phase.DESIGN, BigDecimal.ONE, "d"), Command.WithdrawRequest("r"),
            Command.SetMarketingContact("u", "e", "p", "l"), Command.ActivateOffer("o"),
        )
        assertEquals(python, one.map(::pythonName))
    }

    @Test
    fun anIdempotencyKeyAppliesTheCommandOnce() {
        World().use { w ->
            val once = w.admin.withIdempotencyKey("batch-1")
            val first = once.execute(Command.PurchasePackage("action-pack"))
            assertEquals(first, once.execute(Command.PurchasePackage("action-pack")))
            assertEquals(1, w.admin.packages().size)
            assertThrows<BenefitsException.InvalidInput> { once.executeBatch(List(2) { Command.PurchasePackage("action-pack") }) }
        }
    }

    @Test
    fun typedAndJsonCommandsAgree() {
        World().use { w ->
            val typed = w.admin.execute(Command.PurchasePackage("action-pack"))
            val json = w.admin.executeJson("""{"command":"purchase_package","template":"action-pack"}""")
            assertEquals("package_purchased", typed.kind)
            assertTrue(json.contains("package_purchased") && json.contains("pkg-1-2"), json)
        }
    }
}
