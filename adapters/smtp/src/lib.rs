#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod url;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, SinglePart};
use lettre::transport::smtp::authentication::Credentials as LettreCredentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls as LettreTls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use partner_benefits::{Error, Mail, Mailer};
use rustls::CertificateError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};

/// How the connection to the SMTP server is protected (rustls, with the
/// `ring` crypto provider). Under TLS the server's certificate must chain to
/// a trusted CA ([`SmtpConfig::tls_ca_file`], else the system's) and name
/// [`SmtpConfig::host`]; a failed check is [`Error::Mail`], never a plain retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Tls {
    /// Plain text: credentials and mail travel unencrypted. For a relay on
    /// loopback or a trusted private network only.
    #[default]
    None,
    /// STARTTLS, required (submission, port 587): the connection is
    /// upgraded before AUTH or any mail is sent; a server that does not
    /// offer STARTTLS is a `mail` error and nothing is sent.
    StartTls,
    /// STARTTLS when the server offers it, plain when it does not. Someone
    /// on the path can strip the offer: only for relays being moved to TLS.
    StartTlsOpportunistic,
    /// Implicit TLS (SMTPS, port 465): TLS from the first byte.
    Implicit,
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
    /// Trust only the CA certificates in this PEM file (a private relay's
    /// CA) instead of the system's. Only with a `tls` other than `None`.
    pub tls_ca_file: Option<PathBuf>,
}

impl SmtpConfig {
    /// A config for `host:port` sending as `from`, no login, 10 s timeout, plain SMTP.
    pub fn new(host: impl Into<String>, port: u16, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port,
            from: from.into(),
            credentials: None,
            timeout: Duration::from_secs(10),
            tls: Tls::None,
            tls_ca_file: None,
        }
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
    tls: Tls,
    /// What the server's certificate is checked against, for error messages.
    trusted: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The server and sender only: never the credentials.
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `config`. Nothing is sent or connected yet; a malformed
    /// `from` address, an empty host, or a `tls_ca_file` that cannot be read,
    /// holds no certificate or comes with [`Tls::None`] is `invalid_input`.
    pub fn new(config: SmtpConfig) -> Result<Self, Error> {
        let SmtpConfig { host, port, from, credentials, timeout, tls, tls_ca_file } = config;
        if host.trim().is_empty() {
            return Err(Error::InvalidInput { field: "host".into(), reason: "give the SMTP server's host name or address".into() });
        }
        let from: Mailbox =
            from.parse().map_err(|_| Error::InvalidInput { field: "from".into(), reason: format!("`{from}` is not a mail address") })?;
        let id_domain = from.email.domain().to_string();
        let server = format!("{host}:{port}");
        let trusted = match &tls_ca_file {
            Some(path) => format!("the CA in `{}`", path.display()),
            None => "the system's CA certificates".to_string(),
        };
        let parameters = || tls_parameters(&host, tls_ca_file.as_deref());
        let security = match tls {
            Tls::None if tls_ca_file.is_some() => {
                return Err(Error::InvalidInput {
                    field: "tls_ca_file".into(),
                    reason: "a CA file is used only with TLS: choose STARTTLS or implicit TLS as `tls`".into(),
                });
            }
            Tls::None => LettreTls::None,
            Tls::StartTls => LettreTls::Required(parameters()?),
            Tls::StartTlsOpportunistic => LettreTls::Opportunistic(parameters()?),
            Tls::Implicit => LettreTls::Wrapper(parameters()?),
        };
        let mut builder = SmtpTransport::builder_dangerous(&host).tls(security).port(port).timeout(Some(timeout));
        if let Some(credentials) = credentials {
            builder = builder.credentials(LettreCredentials::new(credentials.username, credentials.password.expose_secret().to_string()));
        }
        Ok(Self { transport: builder.build(), from, id_domain, server, tls, trusted })
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
        self.transport.send(&message).map(drop).map_err(|e| Error::Mail { message: self.explain(&e, mail) })
    }
}

impl SmtpMailer {
    /// A failed delivery in words an operator can act on: which TLS check
    /// failed and against what, else the server's answer.
    fn explain(&self, e: &lettre::transport::smtp::Error, mail: &Mail) -> String {
        let (server, id) = (&self.server, &mail.id);
        if let Some(tls) = rustls_cause(e) {
            let why = match tls {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer | CertificateError::BadSignature) => {
                    format!("its certificate is not signed by {}", self.trusted)
                }
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }) => {
                    "its certificate does not name the configured host".to_string()
                }
                rustls::Error::InvalidCertificate(other) => format!("its certificate is not valid: {other:?}"),
                other => other.to_string(),
            };
            return format!("TLS with the SMTP server {server} failed, mail `{id}` was not sent: {why}");
        }
        if self.tls == Tls::StartTls && e.to_string().contains("STARTTLS is not supported") {
            return format!("the SMTP server {server} does not offer STARTTLS, which is required: mail `{id}` was not sent");
        }
        format!("the SMTP server {server} did not accept mail `{id}`: {e}")
    }
}

/// The rustls error under a lettre error, also when wrapped in an I/O error
/// (whose `source` skips the error it wraps).
fn rustls_cause(e: &lettre::transport::smtp::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = cause.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref()) {
            return Some(tls);
        }
        source = cause.source();
    }
    None
}

/// lettre's TLS settings for `host`: the CA file's certificates alone, or the system's.
fn tls_parameters(host: &str, ca_file: Option<&Path>) -> Result<TlsParameters, Error> {
    let invalid = |reason: String| Error::InvalidInput { field: "tls_ca_file".into(), reason };
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| invalid(format!("cannot read `{}`: {e}", path.display())))?;
        if CertificateDer::pem_slice_iter(&pem).next().is_none() {
            return Err(invalid(format!("`{}` holds no PEM certificate", path.display())));
        }
        let certificate =
            Certificate::from_pem(&pem).map_err(|_| invalid(format!("`{}` holds a malformed certificate", path.display())))?;
        builder = builder.certificate_store(CertificateStore::None).add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|e| Error::InvalidInput { field: "tls".into(), reason: format!("cannot set up TLS: {e}") })
}

#[cfg(test)]
mod tests;
