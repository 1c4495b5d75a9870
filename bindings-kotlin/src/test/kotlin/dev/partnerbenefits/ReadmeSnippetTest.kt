package dev.partnerbenefits

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

class ReadmeSnippetTest {
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

        // What the snippet did is in the file: Devon holds one subscription, once.
        BenefitCenter.open(dbPath, clock).use { center ->
            val orgId = center.program().organizations().single()
            val admin = center.session(orgId, "usr-${orgId.removePrefix("org-")}-1")
            val devon = admin.users().single { it.name == "Devon Dev" }
            val vs = admin.benefitsIn(Category.VISUAL_STUDIO).single()
            assertEquals(listOf(devon.id), vs.assignedUsers)
            assertEquals(Status.PARTLY_ASSIGNED, vs.status)
        }
    }

    @Test
    fun theDeveloperIsRefusedWithPermissionDenied() {
        World().use { w ->
            val devId = w.admin.addUser("Devon Dev", "devon@contoso.com", listOf())
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.admin.benefits(pkg.id).first { it.category == Category.VISUAL_STUDIO }
            val e = org.junit.jupiter.api.assertThrows<BenefitsException.PermissionDenied> {
                w.center.session(w.org.id, devId).assignUser(vs.id, devId)
            }
            assertEquals("permission_denied", e.code)
        }
    }

    @Test
    fun readmeShowsTheSnippetThisTestRuns() {
        val readme = Files.readString(Paths.get("README.md"))
        val block = readme.substringAfter("```kotlin\n").substringBefore("```")
        val source = Files.readString(
            Paths.get("src/test/kotlin/dev/partnerbenefits/ReadmeSnippetTest.kt"),
        )
        val snippet = source.substringAfter("// --- begin README snippet (verbatim) ---\n")
            .substringBefore("        // --- end README snippet ---")
        assertEquals(snippet.trimIndent().trim(), block.trimIndent().trim())
        assertTrue(block.contains("BenefitCenter.open(dbPath, clock)"))
    }
}
