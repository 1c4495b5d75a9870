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
            assertEquals(DispatchReport(1, 0), w.center.dispatchMail())
            val mail = mailer.sent.single()
            assertEquals(listOf("devon.dev@contoso.com"), mail.to)
            assertEquals("subscription_assigned", mail.topic)
            assertEquals(w.org.id, mail.organizationId)
            assertEquals("en", mail.language)
            assertEquals(T0, mail.createdAt)
            assertTrue(mail.subject.isNotBlank() && mail.body.isNotBlank())
            val sent = w.center.outbox().single()
            assertEquals(OutboxEntry(mail, Delivery.SENT, 1, null, T0), sent)
            // Sent mail is never sent again.
            assertEquals(DispatchReport(0, 0), w.center.dispatchMail())
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
            assertEquals(DispatchReport(0, 1), w.center.dispatchMail())
            assertEquals(DispatchReport(0, 1), w.center.dispatchMail())
            val failed = w.center.outbox().single()
            assertEquals(Delivery.FAILED, failed.delivery)
            assertEquals(2L, failed.attempts)
            assertEquals("mail error: the host mailer failed: java.lang.IllegalStateException: smtp down", failed.lastError)
            assertTrue(sent.sent.isEmpty())

            down.set(false)
            w.clock.advance(60)
            assertEquals(DispatchReport(1, 0), w.center.dispatchMail())
            val delivered = w.center.outbox().single()
            assertEquals(Delivery.SENT, delivered.delivery)
            assertEquals(3L, delivered.attempts)
            assertEquals(T0.plusSeconds(60), delivered.sentAt)
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
            assertEquals(DispatchReport(0, 1), w.center.dispatchMail())
            assertEquals(Delivery.FAILED, w.center.outbox().single().delivery)
        }
        // Kotlin's TODO() throws a kotlin.Error, not an Exception: JNA swallows it (and logs a warning).
        val unfinished = object : Mailer {
            override fun send(mail: Mail): Boolean = TODO("write the mailer")
        }
        World(mailer = unfinished).use { w ->
            queueOneMail(w)
            assertEquals(DispatchReport(0, 1), w.center.dispatchMail())
            val entry = w.center.outbox().single()
            assertEquals(Delivery.FAILED, entry.delivery)
            assertTrue(entry.lastError!!.contains("did not accept"), entry.lastError)
        }
    }

    @Test
    fun withoutAMailerMailStaysQueued() {
        World().use { w ->
            queueOneMail(w)
            assertEquals(DispatchReport(0, 1), w.center.dispatchMail())
            val queued = w.center.outbox().single()
            assertEquals(Delivery.FAILED, queued.delivery)
            assertTrue(queued.lastError!!.contains("no mailer"), queued.lastError)
        }
    }
}
