package dev.partnerbenefits

import java.math.BigDecimal
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Who may run what, through the Kotlin binding: every command kind for every role set, against a
 * matrix written here from the seed and the program (not read from the library). Allowed cells
 * must succeed; denied cells are PermissionDenied and leave the organization as it was.
 */
class RolesTest {
    private val roleSets = listOf("no role", "Global admin", "User admin", "Admin agent", "MPN partner admin")

    private val expected: Map<String, List<Boolean>> = mapOf(
        "add_user" to listOf(false, true, true, false, false),
        "set_user_roles" to listOf(false, true, true, false, false),
        "remove_user" to listOf(false, true, true, false, false),
        "purchase_package" to listOf(false, true, true, true, true),
        "renew_package" to listOf(false, true, true, true, true),
        "cancel_package" to listOf(false, true, false, false, true),
        "cancel_offer" to listOf(false, true, false, false, true),
        "set_marketing_contact" to listOf(false, true, false, false, true),
        "activate_offer" to listOf(false, true, false, false, true),
        "get_keys" to listOf(false, true, false, false, false),
        "assign_user" to listOf(false, true, false, false, false),
        "unassign_user" to listOf(false, true, false, false, false),
        "reassign_user" to listOf(false, true, false, false, false),
        "activate_technical" to listOf(false, true, false, false, false),
        "assign_self_to_azure" to listOf(false, true, false, false, false),
        "request_assistance" to listOf(false, true, false, true, true),
        "withdraw_request" to listOf(false, true, false, true, true),
    )

    /** An organization where every command of the matrix succeeds for whoever may run it. */
    private class Furnished : AutoCloseable {
        val w = World()
        val actors: List<String>
        val other: String
        val pkg: Package
        val ids: Map<String, String>

        init {
            val program = w.center.program()
            program.setPartnerLevel(w.org.id, PartnerLevel.SILVER)
            program.grantCompetency(w.org.id, "cloud-platform")
            actors = listOf(
                w.user("Dev One"),
                w.org.adminId,
                w.user("Uma Useradmin", Role.USER_ADMIN),
                w.user("Aki Agent", Role.ADMIN_AGENT),
                w.user("Mia Mpn", Role.MPN_PARTNER_ADMIN),
            )
            other = w.user("Dana Dev")
            val holder = w.user("Hana Holder")
            pkg = w.admin.purchasePackage("silver-core")
            val seats = w.benefit(pkg, "visual-studio").id
            w.admin.assignUser(seats, holder)
            val hours = w.benefit(pkg, "advisory-hours").id
            w.admin.activateTechnical(hours, holder, "hana.alt@example.com")
            val offers = w.benefit(pkg, "go-to-market").offers
            w.admin.setMarketingContact(holder, "hana.m@example.com", "+1 425 555 0101", "en")
            w.admin.activateOffer(offers[0].id)
            w.clock.advanceDays(3)
            val request = w.admin.requestAssistance(hours, Phase.DEPLOYMENT, BigDecimal.ONE, "deploy")
            ids = mapOf(
                "software" to w.benefit(pkg, "windows-server").id,
                "seats" to seats,
                "azure" to w.benefit(pkg, "azure-credit").id,
                "technical" to w.benefit(pkg, "presales-deployment").id,
                "hours" to hours,
                "holder" to holder,
                "request" to request,
                "offer" to offers[1].id,
                "runningOffer" to offers[0].id,
            )
        }

        fun state(): String = "${w.admin.users()}\n${w.admin.packages()}\n${w.admin.allBenefits()}\n${w.admin.auditLog()}"

        override fun close() = w.close()
    }

    private fun run(case: String, f: Furnished, actor: String) {
        val i = f.ids
        f.w.center.session(f.w.org.id, actor).use { s ->
            when (case) {
                "add_user" -> s.addUser("New Hire", "new.hire@contoso.com", emptyList(), null)
                "set_user_roles" -> s.setUserRoles(f.other, emptyList())
                "remove_user" -> s.removeUser(f.other)
                "purchase_package" -> s.purchasePackage("action-pack")
                "renew_package" -> s.renewPackage(f.pkg.id)
                "cancel_package" -> s.cancelPackage(f.pkg.id)
                "cancel_offer" -> s.cancelOffer(i.getValue("runningOffer"))
                "set_marketing_contact" -> s.setMarketingContact(f.other, "d2.m@example.org", "+1 425 555 0100", "en")
                "activate_offer" -> s.activateOffer(i.getValue("offer"))
                "get_keys" -> s.getKeys(i.getValue("software"), "en", "x64").close()
                "assign_user" -> s.assignUser(i.getValue("seats"), f.other)
                "unassign_user" -> s.unassignUser(i.getValue("seats"), i.getValue("holder"))
                "reassign_user" -> s.reassignUser(i.getValue("seats"), i.getValue("holder"), f.other)
                "activate_technical" -> s.activateTechnical(i.getValue("technical"), f.other, "d2.alt@example.org")
                "assign_self_to_azure" -> s.assignUser(i.getValue("azure"), actor)
                "request_assistance" -> s.requestAssistance(i.getValue("hours"), Phase.DESIGN, BigDecimal.ONE, "review")
                "withdraw_request" -> s.withdrawRequest(i.getValue("request"))
                else -> error("case `$case` has no call in RolesTest")
            }
        }
    }

    @Test
    fun everyCommandKindForEveryRoleSetMatchesTheWrittenMatrix() {
        var checked = 0
        for ((case, row) in expected) {
            row.forEachIndexed { column, allowed ->
                Furnished().use { f ->
                    if (case == "renew_package") f.w.clock.set(f.pkg.expiresAt.minus(days(10)))
                    val actor = f.actors[column]
                    val label = "$case as ${roleSets[column]}"
                    val before = f.state()
                    if (allowed) {
                        run(case, f, actor)
                    } else {
                        val refused = assertThrows<BenefitsException.PermissionDenied>(label) { run(case, f, actor) }
                        assertEquals("permission_denied", codeOf(refused), label)
                        assertEquals(before, f.state(), "$label changed something")
                    }
                    checked++
                }
            }
        }
        assertEquals(expected.size * roleSets.size, checked)
    }

    @Test
    fun aUserAdminGrantsOnlyUserAdminAndNeverToItself() {
        Furnished().use { f ->
            val userAdmin = f.actors[2]
            f.w.center.session(f.w.org.id, userAdmin).use { s ->
                for (role in listOf(Role.GLOBAL_ADMIN, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN)) {
                    val before = f.state()
                    assertThrows<BenefitsException.PermissionDenied> { s.setUserRoles(f.other, listOf(role)) }
                    assertThrows<BenefitsException.PermissionDenied> { s.setUserRoles(userAdmin, listOf(Role.USER_ADMIN, role)) }
                    assertEquals(before, f.state())
                }
                s.setUserRoles(f.other, listOf(Role.USER_ADMIN))
            }
            assertEquals(listOf(Role.USER_ADMIN), f.w.admin.users().single { it.id == f.other }.roles)
        }
    }
}
