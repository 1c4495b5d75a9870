package example

import dev.partnerbenefits.BenefitCenter
import dev.partnerbenefits.BenefitsException
import dev.partnerbenefits.Category
import dev.partnerbenefits.ManualClock
import com.sun.jna.Platform
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** The binding's README snippet, run from a project that has only the artifact. */
class ReadmeSnippetTest {
    @Test
    fun theNativeLibraryComesFromTheJarNotFromAPath() {
        assertNull(System.getProperty("jna.library.path"), "the consumer gives JNA no library path")
        val resource = BenefitCenter::class.java.classLoader.getResource("${Platform.RESOURCE_PREFIX}/${System.mapLibraryName("partner_benefits_ffi")}")
        assertTrue(resource != null && resource.protocol == "jar", "the library is a resource of the jar: $resource")
        val rules = BenefitCenter::class.java.classLoader.getResource("META-INF/proguard/partner-benefits.pro")
        assertTrue(rules != null && rules.readText().contains("-keep class com.sun.jna.**"), "the jar ships R8/ProGuard rules")
    }

    @Test
    fun readmeSnippetRunsAsWritten(@TempDir dir: Path) {
        val dbPath = dir.resolve("benefits.db").toString()
        // --- begin README snippet (verbatim) ---
        val clock = ManualClock(Instant.parse("2026-03-02T09:00:00Z"))
        BenefitCenter.open(dbPath, clock).use { center ->          // or BenefitCenter.inMemory(clock)
            val org = center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
            val admin = center.session(org.id, org.adminId)
            val devId = admin.addUser("Devon Dev", "devon@contoso.com", listOf())
            val pkg = admin.purchasePackage("action-pack")
            val vs = admin.benefits(pkg.id).first { it.category == Category.VISUAL_STUDIO }
            admin.assignUser(vs.id, devId)
            try {
                center.session(org.id, devId).assignUser(vs.id, devId)
            } catch (e: BenefitsException.PermissionDenied) {
                check(e.code == "permission_denied")
            }
        }
        // --- end README snippet ---

        BenefitCenter.open(dbPath, clock).use { center ->
            val orgId = center.program().organizations().single()
            val admin = center.session(orgId, "usr-${orgId.removePrefix("org-")}-1")
            val vs = admin.benefitsIn(Category.VISUAL_STUDIO).single()
            assertEquals(listOf(admin.users().single { it.name == "Devon Dev" }.id), vs.assignedUsers)
        }
    }

    @Test
    fun theSnippetIsTheReadmes() {
        val readme = Files.readString(Paths.get("../README.md"))
        val block = readme.substringAfter("```kotlin\n").substringBefore("```")
        val source = Files.readString(Paths.get("src/test/kotlin/example/ReadmeSnippetTest.kt"))
        val snippet = source.substringAfter("// --- begin README snippet (verbatim) ---\n")
            .substringBefore("        // --- end README snippet ---")
        assertEquals(snippet.trimIndent().trim(), block.trimIndent().trim())
    }
}
