package dev.partnerbenefits

import java.util.concurrent.CopyOnWriteArrayList
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The library's log lines through a host `Logger`: commands with their outcome codes, never a key. */
class LoggingTest {
    private class Lines : Logger {
        val seen = CopyOnWriteArrayList<Triple<LogLevel, String, String>>()
        override fun log(level: LogLevel, target: String, line: String) {
            seen.add(Triple(level, target, line))
        }
    }

    @AfterEach
    fun stopForwarding() = setLogger(null)

    @Test
    fun b3CommandsAreLoggedWithTheirOrganizationKindAndOutcomeAndNeverAKey() {
        val lines = Lines()
        setLogger(lines)
        World().use { w ->
            val dev = w.user("Devon Dev")
            val pkg = w.admin.purchasePackage("action-pack")
            val vs = w.benefit(pkg, "visual-studio")
            w.admin.assignUser(vs.id, dev)
            w.center.session(w.org.id, dev).use { s -> assertThrows<BenefitsException.PermissionDenied> { s.assignUser(vs.id, dev) } }
            val office = w.benefit(pkg, "office-professional-plus")
            val keys = w.admin.getKeys(office.id, "en", "x64").keys()

            val text = lines.seen.map { it.third }
            val applied = text.filter { it.contains("kind=\"assign_user\"") && it.contains("command applied") }
            assertEquals(1, applied.size, text.joinToString("\n"))
            assertTrue(applied.single().startsWith("command{organization=${w.org.id} "), applied.single())
            assertTrue(applied.single().contains("outcome=\"ok\""), applied.single())
            assertTrue(text.any { it.contains("kind=\"assign_user\"") && it.contains("outcome=\"permission_denied\"") })
            assertTrue(lines.seen.all { it.first == LogLevel.INFO || it.first == LogLevel.WARN || it.first == LogLevel.ERROR })
            assertTrue(lines.seen.all { it.second.startsWith("partner_benefits") }, lines.seen.map { it.second }.toString())
            for (key in keys) assertTrue(text.none { key in it }, "a key in the log (B3)")
        }
    }

    @Test
    fun theLevelFiltersAndNullStops() {
        val lines = Lines()
        setLogger(lines, LogLevel.WARN)
        World().use { w -> w.user("Devon Dev") }
        assertEquals(listOf<Triple<LogLevel, String, String>>(), lines.seen.toList(), "nothing at WARN for a normal call")
        setLogger(lines, LogLevel.DEBUG)
        World().use { w -> w.user("Devon Dev") }
        assertTrue(lines.seen.any { it.first == LogLevel.DEBUG && it.third.contains("committed") })
        setLogger(null)
        val before = lines.seen.size
        World().use { w -> w.user("Devon Dev") }
        assertEquals(before, lines.seen.size, "no lines after setLogger(null)")
    }

    @Test
    fun aLoggerThatThrowsNeverFailsTheCall() {
        setLogger(object : Logger {
            override fun log(level: LogLevel, target: String, line: String): Unit = throw IllegalStateException("logger down")
        })
        World().use { w ->
            val dev = w.user("Devon Dev")
            assertTrue(w.admin.users().any { it.id == dev })
        }
    }
}
