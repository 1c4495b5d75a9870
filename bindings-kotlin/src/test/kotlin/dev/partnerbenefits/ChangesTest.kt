package dev.partnerbenefits

import java.nio.file.Path
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/** The changes feed through the binding: commit order, paging by position, typed errors for a bad page, no key (B3). */
class ChangesTest {
    private fun BenefitCenter.everything(page: Long = 1000): List<Change> {
        val read = mutableListOf<Change>()
        var after = 0L
        while (true) {
            val batch = changes(after, page)
            if (batch.isEmpty()) return read
            read += batch
            after = batch.last().position
        }
    }

    @Test
    fun theFeedIsInCommitOrderAndPagesWithoutAGap() {
        World().use { w ->
            val before = w.center.changes()
            assertEquals("organization_created", before.first { it.organizationId == w.org.id }.kind)
            val pools = before.filter { it.stream.startsWith("pool:") }
            assertTrue(pools.isNotEmpty() && pools.all { it.organizationId == null && it.kind == "keys_stocked" })
            val cursor = before.last().position

            val dev = w.user("Devon Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            w.admin.assignUser(w.benefit(pkg, "visual-studio").id, dev)
            val new = w.center.changes(after = cursor)
            val kinds = new.map { it.kind }
            assertEquals("user_added", kinds.first())
            assertEquals(listOf("seat_assigned", "mail_queued"), kinds.takeLast(2))
            assertTrue(new.all { it.position > cursor })
            assertEquals(w.org.adminId, new[new.size - 2].actor)

            val whole = w.center.changes(limit = 10_000)
            assertEquals(whole, w.center.everything(page = 1))
            assertEquals(whole.map { it.position }.sorted().distinct(), whole.map { it.position })
            val orgPart = whole.filter { it.organizationId == w.org.id }.map { it.version to it.kind }
            assertEquals(w.center.auditLog(w.org.id).map { it.version to it.kind }, orgPart)
            assertEquals(listOf<Change>(), w.center.changes(after = whole.last().position))
        }
    }

    @Test
    fun aBadPageIsInvalidInput() {
        World().use { w ->
            for (limit in listOf(0L, -1L, 10_001L, 1L shl 40)) {
                val e = assertThrows<BenefitsException.InvalidInput> { w.center.changes(limit = limit) }
                assertEquals("invalid_input", codeOf(e))
                assertEquals("limit", e.field)
            }
            assertEquals("after", assertThrows<BenefitsException.InvalidInput> { w.center.changes(after = -1) }.field)
            assertEquals(listOf<Change>(), w.center.changes(after = 1L shl 62))
        }
    }

    @Test
    fun aSecondCenterOnTheFileReadsWhatTheFirstWrote(@TempDir dir: Path) {
        val path = dir.resolve("feed.db").toString()
        ManualClock(T0).use { clock ->
            BenefitCenter.open(path, clock).use { writer ->
                BenefitCenter.open(path, clock).use { reader ->
                    val org = writer.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
                    val seen = reader.everything()
                    assertEquals(org.id, seen.last().organizationId)
                    writer.session(org.id, org.adminId).use { it.addUser("Noor New", "noor@contoso.com") }
                    val fresh = reader.changes(after = seen.last().position)
                    assertEquals(listOf("user_added"), fresh.map { it.kind })
                    assertEquals(seen.last().position + 1, fresh.single().position)
                }
            }
        }
    }

    @Test
    fun b3NoKeyIsInAChange() {
        World().use { w ->
            val pkg = w.admin.purchasePackage("action-pack")
            val office = w.benefit(pkg, "office-professional-plus")
            val keys = w.admin.getKeys(office.id, "en", "x64").keys()
            assertTrue(keys.isNotEmpty())
            val shown = w.center.changes(limit = 10_000).toString()
            for (key in keys) assertTrue(key !in shown)
            assertNull(w.center.changes().firstOrNull { it.stream.startsWith("pool:") }?.organizationId)
        }
    }
}
