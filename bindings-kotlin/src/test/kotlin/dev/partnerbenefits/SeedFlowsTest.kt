package dev.partnerbenefits

import java.math.BigDecimal
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The seed's flows, driven from Kotlin. The rules are the core's; these check the binding carries them. */
class SeedFlowsTest {
    @Test
    fun purchaseAPackage() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            assertEquals("action-pack", pkg.template)
            assertEquals(Status.ACTIVE, pkg.status)
            assertEquals(Money(BigDecimal("475.00"), "USD"), pkg.price)
            assertEquals(T0, pkg.purchasedAt)
            assertEquals(T0.plus(days(30)), pkg.refundableUntil)
            assertFalse(pkg.softwareActivated)
            assertEquals(listOf(pkg), w.admin.packages())
            assertEquals(pkg, w.admin.getPackage(pkg.id))
            val benefits = w.admin.benefits(pkg.id)
            assertEquals(pkg.benefitIds, benefits.map { it.id })
            assertEquals(Category.entries.toSet(), benefits.map { it.category }.toSet())
            assertEquals(benefits, w.admin.allBenefits())
            assertEquals(2, w.admin.benefitsIn(Category.SOFTWARE).size)
            assertEquals(benefits.single { it.code == "visual-studio" }, w.admin.benefit(benefits.single { it.code == "visual-studio" }.id))
            val pool = w.center.program().keyPool("windows-server")
            assertEquals(KeyPool("windows-server", 500, 1, 499), pool)
        }
    }

    @Test
    fun getKeysForSoftware() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val windows = w.benefit(pkg, "windows-server")
            assertEquals(listOf("en", "zh-CN", "de", "ja"), windows.languages)
            assertEquals(Status.NOT_ACTIVATED, windows.status)
            w.admin.getKeys(windows.id, "en", "x64").use { revealed ->
                val keys = revealed.keys()
                assertEquals(1, keys.size)
                assertTrue(keys[0].startsWith("DEMO-WINDOWS-SERVER-"), keys[0])
                assertEquals(windows.id, revealed.benefitId())
                assertEquals("Windows Server Datacenter", revealed.product())
                assertEquals(listOf("https://downloads.partner.example/windows-server/en/x64"), revealed.downloadLinks())
                assertTrue(revealed.specialInstructions().isNotEmpty())
                // toString (logs, string templates) never shows a key.
                assertFalse(revealed.toString().contains(keys[0]), revealed.toString())
                assertTrue(revealed.toString().contains("1 redacted"), revealed.toString())
                assertTrue(w.admin.auditLog().none { it.details.contains(keys[0]) })
            }
            // Revealing again shows the same keys; Keys compare by content.
            w.admin.getKeys(windows.id, "en", "x64").use { a ->
                w.admin.getKeys(windows.id, "en", "x64").use { b -> assertEquals(a, b) }
            }
            val after = w.admin.benefit(windows.id)
            assertEquals(Status.ACTIVE, after.status)
            assertEquals(T0, after.activeAt)
            assertTrue(w.admin.getPackage(pkg.id).softwareActivated)

            val office = w.benefit(pkg, "office-professional-plus")
            w.admin.getKeys(office.id, "de", "arm64").use { revealed ->
                assertEquals(5, revealed.keys().toSet().size)
                assertEquals(listOf("https://downloads.partner.example/office-professional-plus/de/arm64"), revealed.downloadLinks())
            }
            assertThrows<BenefitsException.InvalidInput> { w.admin.getKeys(office.id, "fr", "x64") }
        }
    }

    @Test
    fun activateCloudSubscriptions() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            // Usage-based: activated by assigning yourself (R12).
            val azure = w.benefit(pkg, "azure-credit")
            assertEquals(Category.CLOUD, azure.category)
            assertEquals(Money(BigDecimal("100.00"), "USD"), azure.monthlyCredit)
            val dev = w.admin.addUser("Devon Dev", "devon@contoso.com")
            assertEquals(listOf<Role>(), w.admin.users().single { it.id == dev }.roles)
            assertThrows<BenefitsException.InvalidInput> { w.admin.assignUser(azure.id, dev) }
            w.admin.assignUser(azure.id, w.org.adminId)
            val active = w.admin.benefit(azure.id)
            assertEquals(Status.ACTIVE, active.status)
            assertEquals(listOf(w.org.adminId), active.assignedUsers)
            // License-based: activated by getting its keys (R13).
            val m365 = w.benefit(pkg, "microsoft-365")
            w.admin.getLicenseKeys(m365.id).use { revealed ->
                assertEquals(5, revealed.keys().size)
                assertTrue(revealed.keys().all { it.startsWith("DEMO-MICROSOFT-365-E3-") })
                assertEquals(listOf<String>(), revealed.downloadLinks())
            }
            val redeemed = w.admin.benefit(m365.id)
            assertEquals(Status.ACTIVE, redeemed.status)
            assertEquals(T0, redeemed.activeAt)
            assertTrue(redeemed.expiresAt!!.isAfter(T0.plus(days(364))))
        }
    }

    @Test
    fun assignAndReassignVisualStudio() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            assertEquals(3L, vs.seats)
            val dev = w.user("Devon Dev")
            val sam = w.user("Sam Tester")
            w.admin.assignUser(vs.id, dev)
            assertEquals(Status.PARTLY_ASSIGNED, w.admin.benefit(vs.id).status)
            assertEquals(listOf(dev), w.admin.benefit(vs.id).assignedUsers)
            w.admin.reassignUser(vs.id, dev, sam)
            assertEquals(listOf(sam), w.admin.benefit(vs.id).assignedUsers)
            w.admin.unassignUser(vs.id, sam)
            assertEquals(Status.NOT_ACTIVATED, w.admin.benefit(vs.id).status)
            val mails = w.center.outbox().map { it.mail }
            assertEquals(listOf("subscription_assigned", "subscription_assigned"), mails.map { it.topic })
            assertEquals(listOf(listOf("devon.dev@contoso.com"), listOf("sam.tester@contoso.com")), mails.map { it.to })
        }
    }

    @Test
    fun activateTechnicalBenefitWithAlternateEmailAndDrawHours() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val advisory = w.benefit(pkg, "advisory-hours")
            assertEquals(Category.TECHNICAL, advisory.category)
            assertEquals("advisory_hours", advisory.technicalKind)
            assertEquals(BigDecimal("5"), advisory.allocated)
            val dev = w.user("Devon Dev")
            // The alternate email must differ from the company account email (R18).
            assertThrows<BenefitsException.InvalidInput> {
                w.admin.activateTechnical(advisory.id, dev, "partners@contoso.com")
            }
            w.admin.activateTechnical(advisory.id, dev, "devon.alt@example.net")
            val pending = w.admin.benefit(advisory.id)
            assertEquals(Status.PENDING, pending.status)
            assertEquals("devon.alt@example.net", pending.alternateEmail)
            assertEquals(T0.plus(days(3)), pending.activeAt)
            assertEquals(listOf(dev), pending.assignedUsers)
            val mail = w.center.outbox().single().mail
            assertEquals("technical_activation_pending", mail.topic)
            assertTrue(mail.to.contains("devon.alt@example.net"))
            assertThrows<BenefitsException.PreconditionFailed> {
                w.admin.requestAssistance(advisory.id, Phase.DESIGN, BigDecimal("1"), "too early")
            }

            w.clock.advanceDays(3)
            assertEquals(Status.ACTIVE, w.admin.benefit(advisory.id).status)
            val request = w.admin.requestAssistance(advisory.id, Phase.DESIGN, BigDecimal("1.5"), "Architecture review")
            assertEquals(0, BigDecimal("3.5").compareTo(w.admin.benefit(advisory.id).balance))
            val submitted = w.admin.requests().single()
            assertEquals(request, submitted.id)
            assertEquals(Phase.DESIGN, submitted.phase)
            assertEquals(BigDecimal("1.5"), submitted.amount)
            assertEquals(Status.SUBMITTED, submitted.status)
            assertEquals(w.org.adminId, submitted.requestedBy)
            w.center.program().completeRequest(w.org.id, request)
            assertEquals(Status.COMPLETED, w.admin.requests().single().status)

            val second = w.admin.requestAssistance(advisory.id, Phase.DEPLOYMENT, BigDecimal("2"), "Rollout")
            assertEquals(0, BigDecimal("1.5").compareTo(w.admin.benefit(advisory.id).balance))
            w.admin.withdrawRequest(second)
            assertEquals(Status.WITHDRAWN, w.admin.requests().single { it.id == second }.status)
            assertEquals(0, BigDecimal("3.5").compareTo(w.admin.benefit(advisory.id).balance))
        }
    }

    @Test
    fun marketingContactThenOfferActivatesRunsAndExpires() {
        World().use { w ->
            w.admin.purchasePackage("action-pack")
            val offer = w.admin.offers().single()
            assertEquals("Action Pack marketing", offer.name)
            assertEquals(Status.AVAILABLE, offer.status)
            assertNull(w.admin.marketingContact())
            // A marketing contact comes first (R25).
            assertThrows<BenefitsException.PreconditionFailed> { w.admin.activateOffer(offer.id) }
            w.admin.setMarketingContact(w.org.adminId, "marketing@contoso.com", "+1 425 555 0100", "en")
            assertEquals(
                MarketingContact(w.org.adminId, "marketing@contoso.com", "+1 425 555 0100", "en"),
                w.admin.marketingContact(),
            )

            val activeAt = w.admin.activateOffer(offer.id)
            assertEquals(T0.plus(days(5)), activeAt)
            assertEquals(Status.PENDING, w.admin.offer(offer.id).status)

            w.clock.advanceDays(5)
            assertTrue(w.center.processDue() > 0)
            val active = w.admin.offer(offer.id)
            assertEquals(Status.ACTIVE, active.status)
            assertEquals(activeAt, active.activeAt)
            val expiresAt = active.expiresAt!!
            assertEquals(activeAt.plus(days(365)), expiresAt)
            assertTrue(w.center.outbox().any { it.mail.topic == "offer_activated" })

            w.clock.set(expiresAt.plusSeconds(1))
            w.center.processDue()
            assertEquals(Status.EXPIRED, w.admin.offer(offer.id).status)
        }
    }

    @Test
    fun cancellingAnOfferFollowsThePackageRule() {
        World().use { w ->
            w.admin.purchasePackage("action-pack")
            val offer = w.admin.offers().single()
            w.admin.setMarketingContact(w.org.adminId, "marketing@contoso.com", "+1 425 555 0100", "en")
            w.admin.activateOffer(offer.id)
            // Offers come with the package: cancelling one refunds nothing on its own (R29).
            val refund = w.admin.cancelOffer(offer.id)
            assertEquals("USD", refund.currency)
            assertEquals(0, BigDecimal.ZERO.compareTo(refund.amount))
            assertEquals(Status.CANCELLED, w.admin.offer(offer.id).status)
            val e = assertThrows<BenefitsException.RefundNotAllowed> { w.admin.cancelOffer(offer.id) }
            assertEquals("already_cancelled", e.reason)
            assertEquals(listOf(offer.id, offer.id), w.admin.cancellations().map { it.target })
        }
    }

    @Test
    fun cancellationGrantedWithinThirtyDays() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            w.clock.advanceDays(29)
            val refund = w.admin.cancelPackage(pkg.id)
            assertEquals(Money(BigDecimal("475.00"), "USD"), refund)
            assertEquals(Status.CANCELLED, w.admin.getPackage(pkg.id).status)
            val answer = w.admin.cancellations().single()
            assertTrue(answer.granted)
            assertEquals(pkg.id, answer.target)
            assertEquals(refund, answer.refund)
            assertNull(answer.refusal)
        }
    }

    @Test
    fun cancellationRefusedAfterSoftwareActivationOrAfterThirtyDays() {
        World().use { w ->
            val activated = w.admin.purchasePackage("action-pack")
            w.admin.getKeys(w.benefit(activated, "windows-server").id, "en", "x64").close()
            val e = assertThrows<BenefitsException.RefundNotAllowed> { w.admin.cancelPackage(activated.id) }
            assertEquals("refund_not_allowed", e.code)
            assertEquals("software_activated", e.reason)
            assertTrue(e.detail.isNotEmpty())

            val late = w.admin.purchasePackage("action-pack")
            w.clock.advanceDays(31)
            val e2 = assertThrows<BenefitsException.RefundNotAllowed> { w.admin.cancelPackage(late.id) }
            assertEquals("window_closed", e2.reason)

            // Refusals are recorded (R30) and the packages stay active.
            assertEquals(listOf("software_activated", "window_closed"), w.admin.cancellations().map { it.refusal })
            assertEquals(listOf(Status.ACTIVE, Status.ACTIVE), w.admin.packages().map { it.status })
        }
    }

    @Test
    fun programLevelsAndCompetenciesGateOffers() {
        World().use { w ->
            val program = w.center.program()
            assertEquals(PartnerLevel.MEMBER, w.admin.organization().level)
            // Silver packages need the Silver level (R23).
            assertThrows<BenefitsException.PreconditionFailed> { w.admin.purchasePackage("silver-core") }
            program.setPartnerLevel(w.org.id, PartnerLevel.SILVER)
            assertEquals(PartnerLevel.SILVER, w.admin.organization().level)
            w.admin.purchasePackage("silver-core")
            val byCode = { code: String -> w.admin.offers().single { it.code == code } }
            assertEquals(Status.AVAILABLE, byCode("silver-core").status)
            program.setPartnerLevel(w.org.id, PartnerLevel.ACTION_PACK)
            assertEquals(Status.UNAVAILABLE, byCode("silver-core").status)
            assertNotNull(byCode("silver-core").unavailableReason)
            program.setPartnerLevel(w.org.id, PartnerLevel.GOLD)
            assertEquals(Status.AVAILABLE, byCode("silver-core").status)
            assertEquals(Status.UNAVAILABLE, byCode("isv-co-sell-ready").status)
            program.grantCompetency(w.org.id, "application-development")
            program.grantCompetency(w.org.id, "cloud-platform")
            assertEquals(Status.AVAILABLE, byCode("isv-co-sell-ready").status)
            program.revokeCompetency(w.org.id, "cloud-platform")
            assertEquals(listOf("application-development"), w.admin.organization().competencies)
            assertThrows<BenefitsException.NotFound> { program.revokeCompetency(w.org.id, "cloud-platform") }
            assertEquals(listOf(w.org.id), program.organizations())
            // silver-core took 2 of the 500 demo keys; 2 more are stocked.
            assertEquals(500L, program.stockKeys("sql-server", listOf("SQL-A", "SQL-B")))
            assertEquals(KeyPool("sql-server", 502, 2, 500), program.keyPool("sql-server"))
        }
    }

    @Test
    fun usersRolesAndSessions() {
        World().use { w ->
            val agent = w.admin.addUser("Ada Agent", "ada@contoso.com", listOf(Role.ADMIN_AGENT), "zh-CN")
            val ada = w.admin.users().single { it.id == agent }
            assertEquals(listOf(Role.ADMIN_AGENT), ada.roles)
            assertEquals("zh-CN", ada.language)
            w.admin.setUserRoles(agent, listOf(Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN))
            assertEquals(listOf(Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN), w.admin.users().single { it.id == agent }.roles)
            w.center.session(w.org.id, agent).use { session ->
                assertEquals(agent, session.userId())
                assertEquals(w.org.id, session.organizationId())
                session.purchasePackage("action-pack")
                // The audit log is Global admin only.
                assertThrows<BenefitsException.PermissionDenied> { session.auditLog() }
            }
            assertEquals(w.center.auditLog(w.org.id), w.admin.auditLog())
            assertTrue(w.admin.auditLog().any { it.actor == agent })
        }
    }

    @Test
    fun commandsAsJsonAndAtomicBatches() {
        World().use { w ->
            val outcome = w.admin.executeJson("""{"command":"purchase_package","template":"action-pack"}""")
            assertTrue(outcome.contains("package_purchased"), outcome)
            val before = w.admin.users().size
            assertThrows<BenefitsException.InvalidInput> {
                w.admin.executeBatchJson(
                    listOf(
                        """{"command":"add_user","name":"Ok User","email":"ok@contoso.com","roles":[],"language":null}""",
                        """{"command":"add_user","name":"Bad User","email":"not-an-email","roles":[],"language":null}""",
                    ),
                )
            }
            assertEquals(before, w.admin.users().size)
            val outcomes = w.admin.executeBatchJson(
                listOf("""{"command":"add_user","name":"Ok User","email":"ok@contoso.com","roles":[],"language":null}"""),
            )
            assertEquals(1, outcomes.size)
            assertThrows<BenefitsException.InvalidInput> { w.admin.executeJson("""{"command":"no_such_command"}""") }
        }
    }

    @Test
    fun idempotencyKeyAppliesOnceAndRetriesAreAccepted() {
        World().use { w ->
            val once = w.admin.withIdempotencyKey("order-42")
            val first = once.purchasePackage("action-pack")
            val repeat = once.purchasePackage("action-pack")
            assertEquals(first.id, repeat.id)
            assertEquals(1, w.admin.packages().size)
            val e = assertThrows<BenefitsException.Conflict> { once.purchasePackage("silver-core") }
            assertEquals("conflict", e.code)
            w.admin.withRetries(3).purchasePackage("action-pack")
            assertEquals(2, w.admin.packages().size)
        }
    }

    @Test
    fun renewalIsRefusedOutsideItsWindow() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val e = assertThrows<BenefitsException.PreconditionFailed> { w.admin.renewPackage(pkg.id) }
            assertEquals("precondition_failed", e.code)
            w.clock.set(pkg.expiresAt.minus(days(10)))
            val renewedTo = w.admin.renewPackage(pkg.id)
            assertTrue(renewedTo.isAfter(pkg.expiresAt))
            assertEquals(renewedTo, w.admin.getPackage(pkg.id).expiresAt)
        }
    }
}
