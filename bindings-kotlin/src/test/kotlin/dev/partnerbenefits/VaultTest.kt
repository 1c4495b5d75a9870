package dev.partnerbenefits

import java.io.File
import java.nio.file.Path
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** License keys sealed at rest: `vaultKey`, sealing in place, rotation, refusals. */
class VaultTest {
    private val oldKey = ByteArray(32) { it.toByte() }
    private val newKey = ByteArray(32) { (it + 100).toByte() }

    private fun demoKeysIn(path: String): Int =
        listOf(File(path), File("$path-wal")).filter { it.exists() }.sumOf { file ->
            String(file.readBytes(), Charsets.ISO_8859_1).windowed(5).count { it == "DEMO-" }
        }

    private fun sealAll(center: BenefitCenter): Int {
        var calls = 0
        do {
            calls++
        } while (center.resealVault(batch = 700).remaining > 0)
        return calls
    }

    @Test
    fun b3AVaultKeptInClearIsSealedInPlaceAndRotated(@TempDir dir: Path) {
        val path = dir.resolve("benefits.db").toString()
        val clock = ManualClock(T0)
        lateinit var orgId: String
        lateinit var adminId: String
        lateinit var key: String
        var stocked = 0L
        BenefitCenter.open(path, clock).use { center ->
            val org = center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
            orgId = org.id
            adminId = org.adminId
            val admin = center.session(org.id, org.adminId)
            val pkg = admin.purchasePackage("action-pack")
            key = admin.getKeys(admin.benefits(pkg.id).single { it.code == "windows-server" }.id, "en", "x64").use { it.keys().single() }
            val status = center.vaultStatus()
            stocked = status.clear
            assertTrue(stocked >= 500)
            assertNull(status.sealingKey)
            assertThrows<BenefitsException.PreconditionFailed> { center.resealVault() }
        }
        assertTrue(demoKeysIn(path) > 0, "kept in clear, the keys are in the file")

        lateinit var oldId: String
        BenefitCenter.open(path, clock, vaultKey = oldKey).use { center ->
            assertEquals(((stocked + 699) / 700).toInt(), sealAll(center))
            val status = center.vaultStatus()
            oldId = status.sealingKey!!
            assertEquals(listOf(SealedUnder(oldId, stocked)), status.sealed)
            assertEquals(0L, status.clear)
            val admin = center.session(orgId, adminId)
            val benefit = admin.benefits(admin.packages().single().id).single { it.code == "windows-server" }
            admin.getKeys(benefit.id, "en", "x64").use { assertEquals(listOf(key), it.keys()) }
        }
        assertEquals(0, demoKeysIn(path), "a key is still in clear in the sealed file")

        for (wrong in listOf(null, newKey)) {
            val e = assertThrows<BenefitsException.Storage> { BenefitCenter.open(path, clock, vaultKey = wrong) }
            assertTrue(e.message.contains(oldId), e.message)
        }
        BenefitCenter.open(path, clock, vaultKey = newKey, previousVaultKeys = listOf(oldKey)).use { center ->
            sealAll(center)
            val status = center.vaultStatus()
            assertNotEquals(oldId, status.sealingKey)
            assertEquals(listOf(status.sealingKey), status.sealed.map { it.keyId })
        }
        BenefitCenter.open(path, clock, vaultKey = newKey).use { center -> assertEquals(0L, center.vaultStatus().toReseal) }
        assertThrows<BenefitsException.Storage> { BenefitCenter.open(path, clock, vaultKey = oldKey) }
        clock.close()
    }

    @Test
    fun b3AVaultKeyOfTheWrongLengthIsRefusedAndMakesNoFile(@TempDir dir: Path) {
        val path = dir.resolve("benefits.db").toString()
        for (size in listOf(0, 16, 31, 33)) {
            val e = assertThrows<BenefitsException.InvalidInput> { BenefitCenter.open(path, vaultKey = ByteArray(size)) }
            assertEquals("vault_key", e.field)
        }
        assertThrows<BenefitsException.InvalidInput> { BenefitCenter.open(path, previousVaultKeys = listOf(oldKey)) }
        assertFalse(File(path).exists())
    }
}
