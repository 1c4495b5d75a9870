package dev.partnerbenefits

import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** Eight JVM threads race for three Visual Studio seats: exactly three win, none twice. */
class ConcurrencyTest {
    private fun race(center: BenefitCenter) {
        val org = center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
        val admin = center.session(org.id, org.adminId)
        val users = (1..8).map { admin.addUser("User $it", "user$it@contoso.com", listOf()) }
        val vs = admin.benefits(admin.purchasePackage("action-pack").id).single { it.category == Category.VISUAL_STUDIO }
        assertEquals(3L, vs.seats)

        val start = CountDownLatch(1)
        val pool = Executors.newFixedThreadPool(8)
        try {
            val results = users.map { user ->
                pool.submit(
                    Callable {
                        start.await()
                        // Each thread has its own session object over the shared center.
                        center.session(org.id, org.adminId).use { session ->
                            try {
                                session.assignUser(vs.id, user)
                                "assigned"
                            } catch (e: BenefitsException.CapacityExhausted) {
                                e.code
                            }
                        }
                    },
                )
            }
            start.countDown()
            val outcomes = results.map { it.get(60, TimeUnit.SECONDS) }
            assertEquals(3, outcomes.count { it == "assigned" }, outcomes.toString())
            assertEquals(5, outcomes.count { it == "capacity_exhausted" }, outcomes.toString())
        } finally {
            pool.shutdown()
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
        }
        val after = admin.benefit(vs.id)
        assertEquals(3, after.assignedUsers.size)
        assertEquals(3, after.assignedUsers.toSet().size)
        assertEquals(Status.ACTIVE, after.status)
        assertEquals(3, center.outbox().count { it.mail.topic == "subscription_assigned" })
    }

    @Test
    fun eightThreadsOneInMemoryCenter() {
        ManualClock(T0).use { clock -> BenefitCenter.inMemory(clock).use { race(it) } }
    }

    @Test
    fun eightThreadsOneSqliteCenter(@TempDir dir: Path) {
        ManualClock(T0).use { clock -> BenefitCenter.open(dir.resolve("race.db").toString(), clock).use { race(it) } }
    }

    /** Eight centers on one SQLite file, as eight processes would be: the store's version check keeps them apart. */
    @Test
    fun eightCentersOneSqliteFile(@TempDir dir: Path) {
        val path = dir.resolve("shared.db").toString()
        ManualClock(T0).use { clock ->
            val (orgId, vsId, users) = BenefitCenter.open(path, clock).use { center ->
                val org = center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
                val admin = center.session(org.id, org.adminId)
                val users = (1..8).map { admin.addUser("User $it", "user$it@contoso.com", listOf()) }
                val vs = admin.benefits(admin.purchasePackage("action-pack").id).single { it.category == Category.VISUAL_STUDIO }
                Triple(org.id, vs.id, users)
            }
            val adminId = "usr-${orgId.removePrefix("org-")}-1"
            val centers = users.map { BenefitCenter.open(path, clock) }
            val start = CountDownLatch(1)
            val pool = Executors.newFixedThreadPool(8)
            try {
                val results = users.zip(centers).map { (user, center) ->
                    pool.submit(
                        Callable {
                            start.await()
                            try {
                                center.session(orgId, adminId).withRetries(50).assignUser(vsId, user)
                                "assigned"
                            } catch (e: BenefitsException) {
                                codeOf(e)
                            }
                        },
                    )
                }
                start.countDown()
                val outcomes = results.map { it.get(120, TimeUnit.SECONDS) }
                assertEquals(3, outcomes.count { it == "assigned" }, outcomes.toString())
                assertEquals(5, outcomes.count { it == "capacity_exhausted" }, outcomes.toString())
            } finally {
                pool.shutdown()
                assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS))
                centers.forEach { it.close() }
            }
            BenefitCenter.open(path, clock).use { center ->
                val vs = center.session(orgId, adminId).benefit(vsId)
                assertEquals(3, vs.assignedUsers.toSet().size)
            }
        }
    }
}
