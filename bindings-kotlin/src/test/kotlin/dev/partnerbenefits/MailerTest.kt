package dev.partnerbenefits

import java.util.concurrent.atomic.AtomicBoolean
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** A Kotlin Mailer (foreign trait) delivers the outbox; a throwing one leaves mail queued. */
class MailerTest {
    private fun queueOneMail(w: World): String {
        val pkg = w.admin.purchasePackage("action-pack")
        val dev = w.user("Devon Dev")
        w.admin.assignUser(w.benefit(pkg, "visual-studio").id, dev)
        return dev
    }

    @Test
    fun hostMailerReceivesEachMailOnce() {
        val mailer = RecordingMailer()
        World(mailer = mailer).use { w ->
            queueOneMail(w)
            assertEquals(Delivery.PENDING, w.center.outbox().single().delivery)
            assertEquals(DispatchReport(1, 0, 0), w.center.dispatchMail())
            val mail = mailer.sent.single()
            assertEquals(listOf("devon.dev@contoso.com"), mail.to)
            assertEquals("subscription_assigned", mail.topic)
            assertEquals(w.org.id, mail.organizationId)
            assertEquals("en", mail.language)
            assertEquals(T0, mail.createdAt)
            assertTrue(mail.subject.isNotBlank() && mail.body.isNotBlank())
            val sent = w.center.outbox().single()
            assertEquals(OutboxEntry(mail, Delivery.SENT, 1, null, T0, null), sent)
            // Sent mail is never sent again.
            assertEquals(DispatchReport(0, 0, 0), w.center.dispatchMail())
            assertEquals(1, mailer.sent.size)
        }
    }

    @Test
    fun aThrowingMailerLeavesTheMailQueuedForTheNextDispatch() {
        val down = AtomicBoolean(true)
        val sent = RecordingMailer()
        val flaky = object : Mailer {
            override fun send(mail: Mail): Boolean {
                if (down.get()) throw IllegalStateException("smtp down")
                return sent.send(mail)
            }
        }
        World(mailer = flaky).use { w ->
            queueOneMail(w)
            assertEquals(DispatchReport(0, 1, 0), w.center.dispatchMail())
            // Retried after a pause (one minute, then two), not at once.
            assertEquals(T0.plusSeconds(60), w.center.outbox().single().retryAt)
            assertEquals(DispatchReport(0, 0, 0), w.center.dispatchMail())
            w.clock.advance(60)
            assertEquals(DispatchReport(0, 1, 0), w.center.dispatchMail())
            val failed = w.center.outbox().single()
            assertEquals(Delivery.FAILED, failed.delivery)
            assertEquals(2L, failed.attempts)
            assertEquals(T0.plusSeconds(180), failed.retryAt)
            assertEquals("mail error: the host mailer failed: java.lang.IllegalStateException: smtp down", failed.lastError)
            assertTrue(sent.sent.isEmpty())

            down.set(false)
            w.clock.advance(120)
            assertEquals(DispatchReport(1, 0, 0), w.center.dispatchMail())
            val delivered = w.center.outbox().single()
            assertEquals(Delivery.SENT, delivered.delivery)
            assertEquals(3L, delivered.attempts)
            assertEquals(T0.plusSeconds(180), delivered.sentAt)
            assertEquals(1, sent.sent.size)
        }
    }

    @Test
    fun falseOrAThrowableThatIsNotAnExceptionAlsoLeavesItQueued() {
        val declining = object : Mailer {
            override fun send(mail: Mail): Boolean = false
        }
        World(mailer = declining).use { w ->
            queueOneMail(w)
            assertEquals(DispatchReport(0, 1, 0), w.center.dispatchMail())
            assertEquals(Delivery.FAILED, w.center.outbox().single().delivery)
        }
        // Kotlin's TODO() throws a kotlin.Error, not an Exception: JNA swallows it (and logs a warning).
        val unfinished = object : Mailer {
            override fun send(mail: Mail): Boolean = TODO("write the mailer")
        }
        World(mailer = unfinished).use { w ->
            queueOneMail(w)
            assertEquals(DispatchReport(0, 1, 0), w.center.dispatchMail())
            val entry = w.center.outbox().single()
            assertEquals(Delivery.FAILED, entry.delivery)
            assertTrue(entry.lastError!!.contains("did not accept"), entry.lastError)
        }
    }

    @Test
    fun withoutAMailerMailStaysQueued() {
        World().use { w ->
            queueOneMail(w)
            assertEquals(DispatchReport(0, 1, 0), w.center.dispatchMail())
            val queued = w.center.outbox().single()
            assertEquals(Delivery.FAILED, queued.delivery)
            assertTrue(queued.lastError!!.contains("no mailer"), queued.lastError)
        }
    }

    @Test
    fun mailRefusedAsOftenAsAllowedIsParkedUntilRequeued() {
        val down = AtomicBoolean(true)
        val sent = RecordingMailer()
        val flaky = object : Mailer {
            override fun send(mail: Mail): Boolean = if (down.get()) false else sent.send(mail)
        }
        World(mailer = flaky).use { w ->
            queueOneMail(w)
            var refusals = 0
            while (true) {
                val report = w.center.dispatchMail()
                if (report.parked == 1L) break
                assertEquals(DispatchReport(0, 1, 0), report)
                refusals++
                w.clock.set(w.center.outbox().single().retryAt!!)
            }
            assertEquals(9, refusals, "parked at the tenth refusal")
            val parked = w.center.outbox().single()
            assertEquals(Delivery.PARKED, parked.delivery)
            assertEquals(10L, parked.attempts)
            down.set(false)
            w.clock.advance(30L * 24 * 3600)
            assertEquals(DispatchReport(0, 0, 0), w.center.dispatchMail(), "a parked mail is not retried")
            w.center.requeueMail(parked.mail.id)
            val e = org.junit.jupiter.api.assertThrows<BenefitsException.InvalidTransition> { w.center.requeueMail(parked.mail.id) }
            assertEquals("invalid_transition", codeOf(e))
            assertEquals(DispatchReport(1, 0, 0), w.center.dispatchMail())
            assertEquals(listOf(parked.mail.id), sent.sent.map { it.id })
        }
    }
}
