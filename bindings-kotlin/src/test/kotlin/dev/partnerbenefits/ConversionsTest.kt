package dev.partnerbenefits

import java.math.BigDecimal
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Instant and BigDecimal cross the boundary unchanged. */
class ConversionsTest {
    @Test
    fun instantsRoundTripToTheNanosecond() {
        for (text in listOf(
            "2026-03-02T09:00:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.250Z",
            "1969-12-31T23:59:59.999999999Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
        )) {
            val instant = Instant.parse(text)
            ManualClock(instant).use { clock -> assertEquals(instant, clock.now()) }
        }
    }

    @Test
    fun clockMovesAndTheCenterSeesIt() {
        World().use { w ->
            assertEquals(T0.plusSeconds(90), w.clock.advance(90))
            assertEquals(T0.plusSeconds(90).minus(days(1)), w.clock.advanceDays(-1))
            val later = Instant.parse("2026-04-01T12:30:45.5Z")
            w.clock.set(later)
            assertEquals(later, w.center.now())
            val pkg = w.admin.purchasePackage("action-pack")
            assertEquals(later, pkg.purchasedAt)
            assertEquals(later, w.center.auditLog(w.org.id).last().at)
        }
    }

    @Test
    fun theCatalogRoundTripsAsJson() {
        World().use { w ->
            val json = w.center.catalogJson()
            BenefitCenter.inMemory(w.clock, catalog = json).use { again -> assertEquals(json, again.catalogJson()) }
        }
    }

    @Test
    fun bigDecimalsRoundTripExactly() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            // Scale is kept: 475.00, not 475.
            assertEquals(BigDecimal("475.00"), pkg.price.amount)
            val advisory = w.benefit(pkg, "advisory-hours")
            w.admin.activateTechnical(advisory.id, w.org.adminId, "avery.alt@example.net")
            w.clock.advanceDays(3)
            for (amount in listOf("0.25", "1.5", "0.01")) {
                w.admin.requestAssistance(advisory.id, Phase.APP_DEVELOPMENT, BigDecimal(amount), "exact $amount")
            }
            assertEquals(listOf(BigDecimal("0.25"), BigDecimal("1.5"), BigDecimal("0.01")), w.admin.requests().map { it.amount })
            assertEquals(BigDecimal("3.24"), w.admin.benefit(advisory.id).balance)
            // Hours have at most two decimal places; more is refused, not rounded.
            for (amount in listOf("0.125", "1E+40", "1E-40")) {
                assertThrows<BenefitsException.InvalidInput> {
                    w.admin.requestAssistance(advisory.id, Phase.DESIGN, BigDecimal(amount), "refused $amount")
                }
            }
            assertEquals(BigDecimal("3.24"), w.admin.benefit(advisory.id).balance)
        }
    }
}
