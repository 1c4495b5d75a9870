package dev.partnerbenefits

import java.nio.file.Path
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** Everything survives closing and reopening the SQLite file. */
class PersistenceTest {
    @Test
    fun reopeningTheFileShowsTheSameState(@TempDir dir: Path) {
        val path = dir.resolve("benefits.db").toString()
        val clock = ManualClock(T0)
        lateinit var orgId: String
        lateinit var adminId: String
        lateinit var devId: String
        lateinit var pkg: Package
        lateinit var key: String
        BenefitCenter.open(path, clock).use { center ->
            val org = center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
            orgId = org.id
            adminId = org.adminId
            val admin = center.session(org.id, org.adminId)
            devId = admin.addUser("Devon Dev", "devon@contoso.com", listOf(Role.ADMIN_AGENT))
            pkg = admin.purchasePackage("action-pack")
            val benefits = admin.benefits(pkg.id)
            key = admin.getKeys(benefits.single { it.code == "windows-server" }.id, "en", "x64").use { it.keys().single() }
            admin.assignUser(benefits.single { it.code == "visual-studio" }.id, devId)
            admin.setMarketingContact(devId, "marketing@contoso.com", "+1 425 555 0100", "en")
        }

        clock.advanceDays(1)
        BenefitCenter.open(path, clock).use { center ->
            assertEquals(listOf(orgId), center.program().organizations())
            val admin = center.session(orgId, adminId)
            val reloaded = admin.getPackage(pkg.id)
            assertEquals(pkg.copy(softwareActivated = true), reloaded)
            assertEquals(listOf("Avery Admin", "Devon Dev"), admin.users().map { it.name })
            val benefits = admin.benefits(pkg.id)
            assertEquals(listOf(devId), benefits.single { it.code == "visual-studio" }.assignedUsers)
            assertEquals(Status.ACTIVE, benefits.single { it.code == "windows-server" }.status)
            assertEquals(devId, admin.marketingContact()?.userId)
            // The same key comes back from the vault; the pool was not stocked again.
            admin.getKeys(benefits.single { it.code == "windows-server" }.id, "en", "x64").use { assertEquals(listOf(key), it.keys()) }
            assertEquals(KeyPool("windows-server", 500, 1, 499), center.program().keyPool("windows-server"))
            assertEquals(1, center.outbox().size)
            assertTrue(center.auditLog(orgId).size >= 6)
            // New work continues the same streams.
            admin.purchasePackage("action-pack")
            assertEquals(2, admin.packages().size)
        }

        BenefitCenter.open(path, clock, stockDemoKeys = false).use { center ->
            assertEquals(2, center.session(orgId, adminId).packages().size)
        }
        clock.close()
    }

    @Test
    fun aNewFileWithoutDemoKeysHasEmptyPools(@TempDir dir: Path) {
        ManualClock(T0).use { clock ->
            BenefitCenter.open(dir.resolve("empty.db").toString(), clock, stockDemoKeys = false).use { center ->
                assertEquals(KeyPool("office-professional-plus", 0, 0, 0), center.program().keyPool("office-professional-plus"))
                assertEquals(3L, center.program().stockKeys("office-professional-plus", listOf("K-1", "K-2", "K-3")))
            }
        }
    }

    @Test
    fun withTheSystemClockNoDemoKeysUnlessAskedFor(@TempDir dir: Path) {
        BenefitCenter.open(dir.resolve("now.db").toString()).use { center ->
            val now = java.time.Instant.now()
            assertTrue(java.time.Duration.between(center.now(), now).abs().seconds < 60)
            // Production set-up: the program stocks real keys.
            assertEquals(0L, center.program().keyPool("windows-server").stocked)
        }
        BenefitCenter.open(dir.resolve("demo.db").toString(), stockDemoKeys = true).use { center ->
            assertEquals(500L, center.program().keyPool("windows-server").stocked)
        }
    }
}
