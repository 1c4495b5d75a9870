#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, SinglePart};
use lettre::transport::smtp::authentication::Credentials as LettreCredentials;
use lettre::{Message, SmtpTransport, Transport};
use partner_benefits::{Error, Mail, Mailer};
use secrecy::{ExposeSecret, SecretString};

/// How the connection to the SMTP server is protected.
///
/// This build speaks plain SMTP only, for a relay on loopback or a trusted
/// private network (the usual setup: the host's local MTA or a sidecar relay
/// does TLS to the outside). STARTTLS and implicit TLS would need lettre's
/// TLS features (rustls or native-tls), which this crate does not enable
/// yet; the enum is non-exhaustive so they can be added without a break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Tls {
    /// Plain text: credentials and mail travel unencrypted.
    #[default]
    None,
}

/// A user name and password for SMTP AUTH. `Debug` never shows the password.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password: SecretString,
}

impl Credentials {
    /// Credentials for the relay.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: SecretString::from(password.into()) }
    }

    /// The user name (not secret).
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"[redacted]").finish()
    }
}

/// Where and how to send mail.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server port (25, 587, or whatever the relay listens on).
    pub port: u16,
    /// The sender, e.g. `Partner Benefits <benefits@partner.example>`. Its
    /// domain also names the Message-ID of each mail.
    pub from: String,
    /// Login for SMTP AUTH, if the relay wants one.
    pub credentials: Option<Credentials>,
    /// Bound on connecting and on each SMTP command (default 10 s).
    pub timeout: Duration,
    /// Transport security; see [`Tls`].
    pub tls: Tls,
}

impl SmtpConfig {
    /// A config for `host:port` sending as `from`, no login, 10 s timeout, plain SMTP.
    pub fn new(host: impl Into<String>, port: u16, from: impl Into<String>) -> Self {
        Self { host: host.into(), port, from: from.into(), credentials: None, timeout: Duration::from_secs(10), tls: Tls::None }
    }
}

/// `Content-Language` (RFC 3282): the language the mail was rendered in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `X-Partner-Benefits-Topic`: what the mail is about, for filters and audits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Topic(String);

impl Header for Topic {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Partner-Benefits-Topic")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// A [`Mailer`] that hands each mail to an SMTP server (lettre).
///
/// One connection per mail. A mail the server accepts (`250` after `DATA`)
/// is `Ok`; a refused, unreachable or silent server is [`Error::Mail`], so
/// the center leaves the mail queued with the error recorded and retries it
/// at the next dispatch.
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
    id_domain: String,
    server: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The server and sender only: never the credentials.
        f.debug_struct("SmtpMailer").field("server", &self.server).field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `config`. Nothing is sent or connected yet; a malformed
    /// `from` address or an empty host is `invalid_input`.
    pub fn new(config: SmtpConfig) -> Result<Self, Error> {
        let SmtpConfig { host, port, from, credentials, timeout, tls } = config;
        if host.trim().is_empty() {
            return Err(Error::InvalidInput { field: "host".into(), reason: "give the SMTP server's host name or address".into() });
        }
        let from: Mailbox =
            from.parse().map_err(|_| Error::InvalidInput { field: "from".into(), reason: format!("`{from}` is not a mail address") })?;
        let id_domain = from.email.domain().to_string();
        let server = format!("{host}:{port}");
        let mut builder = match tls {
            Tls::None => SmtpTransport::builder_dangerous(host),
        }
        .port(port)
        .timeout(Some(timeout));
        if let Some(credentials) = credentials {
            builder = builder.credentials(LettreCredentials::new(credentials.username, credentials.password.expose_secret().to_string()));
        }
        Ok(Self { transport: builder.build(), from, id_domain, server })
    }

    /// The Message-ID a mail is sent with: derived from the mail's id, so a
    /// second delivery of the same mail (a retry after a lost answer) carries
    /// the same id and a receiver can recognise it.
    pub fn message_id(&self, mail: &Mail) -> String {
        format!("<{}@{}>", mail.id, self.id_domain)
    }

    fn message(&self, mail: &Mail) -> Result<Message, Error> {
        let mut builder: MessageBuilder = Message::builder()
            .from(self.from.clone())
            .subject(mail.subject.clone())
            .message_id(Some(self.message_id(mail)))
            .header(ContentLanguage(mail.language.to_string()))
            .header(Topic(mail.topic.name().to_string()));
        if mail.to.is_empty() {
            return Err(Error::Mail { message: format!("mail `{}` has no recipient", mail.id) });
        }
        for to in &mail.to {
            let mailbox: Mailbox = to
                .as_str()
                .parse()
                .map_err(|_| Error::Mail { message: format!("mail `{}` has a recipient SMTP cannot address", mail.id) })?;
            builder = builder.to(mailbox);
        }
        builder
            .singlepart(SinglePart::plain(mail.body.clone()))
            .map_err(|e| Error::Mail { message: format!("mail `{}` could not be built: {e}", mail.id) })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), Error> {
        let message = self.message(mail)?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| Error::Mail { message: format!("the SMTP server {} did not accept mail `{}`: {e}", self.server, mail.id) })
    }
}
