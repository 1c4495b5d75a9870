package dev.partnerbenefits

import com.fasterxml.jackson.databind.ObjectMapper
import java.util.UUID
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * `BenefitCenter.open("postgres://...")` against a real server: the one in
 * env `PGURL` (scripts/test-kotlin starts a throwaway cluster and sets it).
 * Skipped when `PGURL` is unset, except under CI (env `CI` set), where a
 * missing server is a failure rather than a silent skip.
 *
 * The database may be shared with earlier runs: each test works in an
 * organization of its own and stocks its own keys, so it asserts nothing
 * about data it did not write.
 */
class PostgresTest {
    private val url: String? = System.getenv("PGURL")?.takeIf { it.isNotBlank() }

    @BeforeEach
    fun needsAServer() {
        if (url == null && !System.getenv("CI").isNullOrEmpty()) {
            fail<Unit>("CI is set but PGURL is not: scripts/test-kotlin starts a PostgreSQL server and sets PGURL")
        }
        assumeTrue(url != null, "PGURL is not set (scripts/test-kotlin sets it); skipping the PostgreSQL tests")
    }

    /** The server's URL (the tests run only when there is one). */
    private fun pg(): String = url ?: error("PGURL is not set")

    /** A fresh organization, with keys of its own stocked into every pool of the catalog. */
    private fun newOrganization(center: BenefitCenter, tag: String): Organization {
        val products = ObjectMapper().readTree(center.catalogJson()).findValuesAsText("product").toSortedSet()
        center.program().use { program ->
            for (product in products) program.stockKeys(product, (1..10).map { "KT-$tag-$product-$it" })
        }
        return center.createOrganization("Contoso $tag", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
    }

    @Test
    fun aFlowPersistsAcrossReopening() {
        val tag = UUID.randomUUID().toString().take(8)
        val clock = ManualClock(T0)
        lateinit var org: Organization
        lateinit var devId: String
        lateinit var pkg: Package
        lateinit var key: String
        BenefitCenter.open(pg(), clock, stockDemoKeys = false).use { center ->
            org = newOrganization(center, tag)
            val admin = center.session(org.id, org.adminId)
            devId = admin.addUser("Devon Dev", "devon@contoso.com", listOf(Role.ADMIN_AGENT))
            pkg = admin.purchasePackage("action-pack")
            val benefits = admin.benefits(pkg.id)
            key = admin.getKeys(benefits.single { it.code == "windows-server" }.id, "en", "x64").use { it.keys().single() }
            val vs = benefits.single { it.code == "visual-studio" }
            admin.assignUser(vs.id, devId)
            // The rules hold on this store as on the others.
            val e = assertThrows<BenefitsException.PermissionDenied> {
                center.session(org.id, devId).assignUser(vs.id, devId)
            }
            assertEquals("permission_denied", e.code)
            admin.setMarketingContact(devId, "marketing@contoso.com", "+1 425 555 0100", "en")
        }

        clock.advanceDays(1)
        BenefitCenter.open(pg(), clock, stockDemoKeys = false).use { center ->
            assertTrue(org.id in center.program().organizations())
            val admin = center.session(org.id, org.adminId)
            assertEquals(pkg.copy(softwareActivated = true), admin.getPackage(pkg.id))
            assertEquals(listOf("Avery Admin", "Devon Dev"), admin.users().map { it.name })
            val benefits = admin.benefits(pkg.id)
            assertEquals(listOf(devId), benefits.single { it.code == "visual-studio" }.assignedUsers)
            assertEquals(devId, admin.marketingContact()?.userId)
            // The same key comes back from the vault, not a second one from the pool.
            admin.getKeys(benefits.single { it.code == "windows-server" }.id, "en", "x64").use { assertEquals(listOf(key), it.keys()) }
            assertTrue(center.auditLog(org.id).size >= 6)
            // New work continues the same streams.
            admin.purchasePackage("action-pack")
            assertEquals(2, admin.packages().size)
        }
        clock.close()
    }

    @Test
    fun twoCentersOnOneDatabaseSeeEachOthersWrites() {
        val tag = UUID.randomUUID().toString().take(8)
        ManualClock(T0).use { clock ->
            BenefitCenter.open(pg(), clock, stockDemoKeys = false).use { first ->
                BenefitCenter.open(pg(), clock, stockDemoKeys = false).use { second ->
                    val org = newOrganization(first, tag)
                    val pkg = first.session(org.id, org.adminId).purchasePackage("action-pack")
                    val admin = second.session(org.id, org.adminId)
                    assertEquals(listOf(pkg.id), admin.packages().map { it.id })
                    val dev = admin.addUser("Devon Dev", "devon@contoso.com", listOf())
                    assertEquals(listOf(org.adminId, dev), first.session(org.id, org.adminId).users().map { it.id })
                }
            }
        }
    }
}

/** What `open` does with a PostgreSQL URL it cannot use; needs no server. */
class PostgresUrlTest {
    private fun storageError(url: String): BenefitsException.Storage {
        val e = assertThrows<BenefitsException.Storage> { BenefitCenter.open(url) }
        assertEquals("storage", e.code)
        // The PostgreSQL store answered, not a SQLite file at a path named like a URL.
        assertTrue(e.detail.contains("PostgreSQL"), e.detail)
        assertTrue(!e.detail.contains("hunter2"), "the password leaked: ${e.detail}")
        return e
    }

    @Test
    fun aMalformedUrlIsAStorageError() {
        storageError("postgres://user:hunter2@127.0.0.1:notaport/db")
        storageError("postgresql://user:hunter2@/db?sslmode=bogus")
    }

    @Test
    fun aServerThatIsNotThereIsAStorageErrorNotAHang() {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        val started = System.nanoTime()
        val e = storageError("postgresql://user:hunter2@127.0.0.1:1/db")
        assertTrue(e.detail.contains("cannot connect"), e.detail)
        // The scheme in any letter case reaches the server too (not "does not parse").
        assertTrue(storageError("PostgreSQL://user:hunter2@127.0.0.1:1/db").detail.contains("cannot connect"))
        assertTrue(System.nanoTime() - started < 30_000_000_000L, "took more than 30 s")
    }
}
