package dev.partnerbenefits

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.ObjectMapper
import java.io.File
import java.lang.management.ManagementFactory
import java.time.Instant
import java.util.Locale
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

/**
 * The Kotlin binding's benchmark (docs: issue 8, item 4): a plain timed
 * harness, not a test. Tagged "bench", so the default Surefire run (and CI)
 * leaves it out; `scripts/test-kotlin --bench` builds the library in release,
 * exports the workload and runs only this class (`mvn -B test -Pbench`).
 *
 * 1. Replays the exported workload (JSON lines, the same steps the Rust and
 *    Python benches replay) through the binding, step for step as the Rust
 *    replay (benches/workload/replay.rs) does, and reports commands/s of the
 *    mix (setup not timed).
 * 2. Measures the time per call of a trivial query (`session.organization()`)
 *    and of the bare crossing (`session.organizationId()`); target ≤ 20 µs.
 *
 * Prints figures; asserts only that the replay met no error.
 */
@Tag("bench")
class BindingBenchTest {
    /** One line of the workload, parsed before any timing. */
    private sealed class Step(val advanceSecs: Long, val orgIndex: Int, val orgId: String, val userId: String) {
        class Begin(val start: Instant, advance: Long, o: Int, oid: String, uid: String) : Step(advance, o, oid, uid)
        class StockKeys(val product: String, val keys: List<String>, advance: Long, o: Int, oid: String, uid: String) : Step(advance, o, oid, uid)
        class CreateOrganization(
            val name: String,
            val accountEmail: String,
            val adminName: String,
            val adminEmail: String,
            advance: Long,
            o: Int,
            oid: String,
            uid: String,
        ) : Step(advance, o, oid, uid)
        class SetPartnerLevel(val level: PartnerLevel, advance: Long, o: Int, oid: String, uid: String) : Step(advance, o, oid, uid)
        class GrantCompetency(val competency: String, advance: Long, o: Int, oid: String, uid: String) : Step(advance, o, oid, uid)
        class Execute(val commandJson: String, val commandKind: String, advance: Long, o: Int, oid: String, uid: String) : Step(advance, o, oid, uid)
        class Query(val query: String, val id: String?, advance: Long, o: Int, oid: String, uid: String) : Step(advance, o, oid, uid)

        val measured: Boolean get() = this is Execute || this is Query

        val kind: String
            get() = when (this) {
                is Begin -> "begin"
                is StockKeys -> "stock_keys"
                is CreateOrganization -> "create_organization"
                is SetPartnerLevel -> "set_partner_level"
                is GrantCompetency -> "grant_competency"
                is Execute -> commandKind
                is Query -> "query"
            }
    }

    private fun parse(node: JsonNode): Step {
        val org = node["org"].asInt()
        val user = node["user"].asInt()
        val advance = node.path("advance_secs").asLong(0)
        // Ids as the Rust replay makes them: organization `i` is org-{i+1}, its user `u` usr-{i+1}-{u+1}.
        val orgId = "org-${org + 1}"
        val userId = "usr-${org + 1}-${user + 1}"
        return when (val op = node["op"].asText()) {
            "begin" -> Step.Begin(Instant.parse(node["start"].asText()), advance, org, orgId, userId)
            "stock_keys" -> {
                val product = node["product"].asText()
                Step.StockKeys(product, (0 until node["count"].asInt()).map { "K-$product-$it" }, advance, org, orgId, userId)
            }
            "create_organization" -> Step.CreateOrganization(
                node["name"].asText(),
                node["account_email"].asText(),
                node["admin_name"].asText(),
                node["admin_email"].asText(),
                advance,
                org,
                orgId,
                userId,
            )
            "set_partner_level" -> Step.SetPartnerLevel(PartnerLevel.valueOf(node["level"].asText().uppercase(Locale.ROOT)), advance, org, orgId, userId)
            "grant_competency" -> Step.GrantCompetency(node["competency"].asText(), advance, org, orgId, userId)
            "execute" -> {
                val command = node["command"]
                Step.Execute(command.toString(), command["command"].asText(), advance, org, orgId, userId)
            }
            "query" -> {
                val query = node["query"]
                val name = query["query"].asText()
                Step.Query(name, query[name]?.asText(), advance, org, orgId, userId)
            }
            else -> throw IllegalArgumentException("unknown op `$op` in the workload")
        }
    }

    private fun workload(): List<Step> {
        val path = System.getProperty("bench.workload").orEmpty()
        if (path.isBlank()) {
            fail<Unit>("no workload: run `scripts/test-kotlin --bench`, or pass -Dbench.workload=<file.jsonl> from export-workload")
        }
        val mapper = ObjectMapper()
        return File(path).readLines().filter { it.isNotBlank() }.map { parse(mapper.readTree(it)) }
    }

    /** A fresh in-memory center replaying steps, as benches/workload/replay.rs. */
    private class Replay(private val cacheSessions: Boolean) : AutoCloseable {
        val clock = ManualClock(Instant.parse("2026-03-02T09:00:00Z"))
        val center = BenefitCenter.inMemory(clock, stockDemoKeys = false)
        private val program = center.program()
        private val sessions = HashMap<String, Session>()
        val errors = sortedMapOf<String, Int>()
        val firstFailures = mutableListOf<String>()

        private inline fun <T> asUser(step: Step, block: (Session) -> T): T =
            if (cacheSessions) {
                block(sessions.getOrPut(step.userId) { center.session(step.orgId, step.userId) })
            } else {
                center.session(step.orgId, step.userId).use(block)
            }

        fun run(step: Step) {
            if (step.advanceSecs > 0) clock.advance(step.advanceSecs)
            when (step) {
                is Step.Begin -> clock.set(step.start)
                is Step.StockKeys -> program.stockKeys(step.product, step.keys)
                is Step.CreateOrganization -> {
                    val org = center.createOrganization(step.name, step.accountEmail, step.adminName, step.adminEmail)
                    check(org.id == step.orgId) { "replay a workload on a fresh store: got ${org.id}, expected ${step.orgId}" }
                }
                is Step.SetPartnerLevel -> program.setPartnerLevel(step.orgId, step.level)
                is Step.GrantCompetency -> program.grantCompetency(step.orgId, step.competency)
                is Step.Execute -> asUser(step) { it.executeJson(step.commandJson) }
                is Step.Query -> asUser(step) { session ->
                    when (step.query) {
                        "organization" -> session.organization()
                        "package" -> session.getPackage(step.id!!)
                        "benefit" -> session.benefit(step.id!!)
                        "marketing_contact" -> session.marketingContact()
                        else -> throw IllegalArgumentException("unknown query `${step.query}`")
                    }
                }
            }
        }

        fun runAll(steps: List<Step>) {
            for ((index, step) in steps.withIndex()) {
                try {
                    run(step)
                } catch (e: BenefitsException) {
                    errors.merge("${step.kind}:${codeOf(e)}", 1, Int::plus)
                    if (firstFailures.size < 10) firstFailures += "step $index ${step.kind}: ${e.message}"
                }
            }
        }

        override fun close() {
            sessions.values.forEach { it.close() }
            program.close()
            center.close()
            clock.close()
        }
    }

    private fun report(line: String) {
        println("bench: $line")
    }

    private fun fmt(value: Double, decimals: Int = 0): String = String.format(Locale.ROOT, "%,.${decimals}f", value)

    @Test
    fun replayTheWorkload() {
        val steps = workload()
        val setupLen = steps.indexOfFirst { it.measured }.let { if (it < 0) steps.size else it }
        val setup = steps.subList(0, setupLen)
        val mix = steps.subList(setupLen, steps.size)
        val runs = if (mix.size <= 10_000) 15 else if (mix.size <= 200_000) 4 else 2
        report("workload: ${steps.size} steps, ${mix.size} measured (${mix.count { it is Step.Execute }} commands, ${mix.count { it is Step.Query }} queries)")
        for (cacheSessions in listOf(false, true)) {
            val timings = (1..runs).map {
                Replay(cacheSessions).use { replay ->
                    replay.runAll(setup)
                    val started = Clocks.now()
                    replay.runAll(mix)
                    val elapsed = Clocks.now() - started
                    assertEquals(emptyMap<String, Int>(), replay.errors, replay.firstFailures.joinToString("\n"))
                    elapsed
                }
            }
            // The first runs warm the JIT up; the best of them is the figure, as in the Rust benches.
            val best = timings.minOf { it.wall }
            val median = timings.map { it.wall }.sorted()[timings.size / 2]
            val cpu = timings.minOf { it.process }
            val how = if (cacheSessions) "one session per user, reused" else "a new session per step, as the Rust replay"
            report(
                "replay ($how): best ${fmt(mix.size / (best / 1e9))} commands/s (${fmt(best / 1e3 / mix.size, 1)} µs each), " +
                    "median ${fmt(mix.size / (median / 1e9))} commands/s, " +
                    "by JVM CPU time ${fmt(mix.size / (cpu / 1e9))} commands/s, $runs runs",
            )
        }
    }

    /**
     * Wall-clock time, this thread's CPU time and the whole JVM's CPU time
     * (GC, JNA's cleaner thread, ...), in ns. On a machine busy with other
     * work the wall clock also counts time spent waiting for a core; the CPU
     * times do not.
     */
    private class Clocks(val wall: Long, val thread: Long, val process: Long) {
        operator fun minus(o: Clocks) = Clocks(wall - o.wall, thread - o.thread, process - o.process)

        companion object {
            private val threads = ManagementFactory.getThreadMXBean()
            private val os = ManagementFactory.getOperatingSystemMXBean() as? com.sun.management.OperatingSystemMXBean

            fun now() = Clocks(
                System.nanoTime(),
                if (threads.isCurrentThreadCpuTimeSupported) threads.currentThreadCpuTime else 0L,
                os?.processCpuTime ?: 0L,
            )
        }
    }

    /** Best of `rounds` timings of `calls` calls after a warm-up, in µs per call. */
    private fun perCall(calls: Int, rounds: Int, block: () -> Unit): Clocks {
        repeat(calls) { block() }
        val timings = (1..rounds).map {
            val started = Clocks.now()
            repeat(calls) { block() }
            Clocks.now() - started
        }
        return Clocks(timings.minOf { it.wall } / calls, timings.minOf { it.thread } / calls, timings.minOf { it.process } / calls)
    }

    private fun perCallLine(what: String, t: Clocks, target: Boolean = false): String {
        val verdict = if (target) " (target ≤ 20 µs: ${if (t.wall <= 20_000) "met" else "MISSED"} by wall clock)" else ""
        return "$what: ${fmt(t.wall / 1e3, 2)} µs per call; CPU ${fmt(t.thread / 1e3, 2)} µs in the calling thread, " +
            "${fmt(t.process / 1e3, 2)} µs in the whole JVM$verdict"
    }

    @Test
    fun perCallOverheadOfATrivialQuery() {
        Replay(cacheSessions = true).use { replay ->
            val org = replay.center.createOrganization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")
            replay.center.session(org.id, org.adminId).use { admin ->
                repeat(5) { admin.addUser("User $it", "user$it@contoso.com", listOf()) }
                var sink = 0
                val organization = perCall(50_000, 5) { sink += admin.organization().name.length }
                val organizationId = perCall(50_000, 5) { sink += admin.organizationId().length }
                val now = perCall(50_000, 5) { sink += replay.center.now().nano and 1 }
                check(sink != 42)
                report(perCallLine("session.organization()", organization, target = true))
                report(perCallLine("session.organizationId() (the bare crossing, a string back)", organizationId))
                report(perCallLine("center.now() (an Instant back)", now))
            }
        }
    }
}
