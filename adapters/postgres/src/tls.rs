//! TLS for the connection to PostgreSQL, on rustls (with the `ring` crypto
//! provider): libpq's `sslmode` values and `sslrootcert`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use partner_benefits::Error;
use postgres::config::{Host, SslMode as WireMode};
use postgres::{Client, Config, NoTls};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How the connection to PostgreSQL is protected: libpq's `sslmode`, given
/// as `sslmode=...` in the URL or as [`PostgresOptions::ssl_mode`](crate::PostgresOptions::ssl_mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SslMode {
    /// `disable`: plain TCP only; a server that accepts only TLS refuses it.
    Disable,
    /// `prefer` (the default, as in libpq): TLS when the server offers it;
    /// plain only when the server answers that it has no TLS. A TLS
    /// handshake that fails (a certificate refused) is an error, never a
    /// silent plain retry.
    #[default]
    Prefer,
    /// `require`: TLS or no connection. Without a CA the server's certificate
    /// is not checked (encrypted, not authenticated), as in libpq; with a
    /// CA (`sslrootcert`) its chain is checked as under `verify-ca`.
    Require,
    /// `verify-ca`: TLS, and the server's certificate must chain to the CA.
    VerifyCa,
    /// `verify-full`: as `verify-ca`, and the certificate must name the
    /// host connected to (the URL's host, not `hostaddr`).
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling (`verify-full`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = Error;

    /// libpq's names; `allow` (plain first, then TLS) is not supported.
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => {
                let shown: String = s.chars().take(40).collect();
                return Err(Error::InvalidInput {
                    field: "sslmode".into(),
                    reason: format!("`{shown}` is not one of disable, prefer, require, verify-ca, verify-full"),
                });
            }
        })
    }
}

/// The TLS keywords taken out of a connection string, and the rest, which
/// `postgres::Config` parses (it knows neither `verify-*` nor `sslrootcert`).
#[derive(Debug, Default)]
pub(crate) struct Split {
    pub rest: String,
    pub mode: Option<String>,
    pub root_cert: Option<String>,
}

fn ours(key: &str) -> bool {
    key == "sslmode" || key == "sslrootcert"
}

fn take(split: &mut Split, key: &str, value: String) {
    if key == "sslmode" {
        split.mode = Some(value);
    } else {
        split.root_cert = Some(value);
    }
}

/// Takes `sslmode` and `sslrootcert` out of a URL (`postgres://...?sslmode=...`)
/// or a key=value string. A string this cannot read is passed on whole, for
/// the PostgreSQL parser to report.
pub(crate) fn split(url: &str) -> Split {
    let whole = || Split { rest: url.to_string(), ..Split::default() };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else { return whole() };
        let mut split = Split::default();
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match (percent_decode(key), percent_decode(value)) {
                (Some(key), Some(value)) if ours(&key) => take(&mut split, &key, value),
                _ => kept.push(pair),
            }
        }
        split.rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        split
    } else {
        let Some(pairs) = key_values(url) else { return whole() };
        let mut split = Split::default();
        let mut kept = Vec::new();
        for (key, value) in pairs {
            if ours(&key) {
                take(&mut split, &key, value);
            } else {
                kept.push(format!("{key}='{}'", value.replace('\\', "\\\\").replace('\'', "\\'")));
            }
        }
        split.rest = kept.join(" ");
        split
    }
}

/// `%XX` decoding as libpq does it (`+` stays `+`); `None` when not UTF-8 or malformed.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The pairs of a key=value string, read as the PostgreSQL parser reads them
/// (values quoted with `'`, `\` escapes the next character).
fn key_values(s: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.peek().is_none() {
            return Some(pairs);
        }
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        it.next_if_eq(&'=')?;
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = it.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match it.peek() {
                None if quoted => return None,
                None => break,
                Some('\'') if quoted => {
                    it.next();
                    break;
                }
                Some(c) if !quoted && c.is_whitespace() => break,
                Some(_) => {
                    let c = it.next()?;
                    if c == '\\' {
                        value.extend(it.next());
                    } else {
                        value.push(c);
                    }
                }
            }
        }
        if key.is_empty() || (!quoted && value.is_empty()) {
            return None;
        }
        pairs.push((key, value));
    }
}

/// Where the trusted CA certificates come from.
#[derive(Debug, Clone)]
enum Roots {
    /// A PEM file (`sslrootcert=/path/ca.crt`).
    File(PathBuf),
    /// The platform's store (`sslrootcert=system`, as in libpq 16).
    System,
}

impl fmt::Display for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "the CA in `{}`", path.display()),
            Self::System => f.write_str("the system's CA certificates"),
        }
    }
}

/// How each connection of a store is made: the mode, what is trusted, and
/// the rustls connector (none for `disable`).
#[derive(Clone)]
pub(crate) struct Tls {
    mode: SslMode,
    roots: Option<Roots>,
    connector: Option<MakeRustlsConnect>,
}

impl Tls {
    /// Settles the mode and CA from the URL and the options (the same thing
    /// said twice differently is `invalid_input`) and builds the connector.
    pub(crate) fn new(config: &mut Config, split: &Split, mode: Option<SslMode>, root_cert: Option<&Path>) -> Result<Self, Error> {
        let from_url = match split.mode.as_deref() {
            None => None,
            Some(text) => Some(text.parse::<SslMode>().map_err(|_| {
                let shown: String = text.chars().take(40).collect();
                Error::storage(format!(
                    "the PostgreSQL URL does not parse: sslmode `{shown}` is not one of disable, prefer, require, verify-ca, verify-full"
                ))
            })?),
        };
        let mode = match (from_url, mode) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::InvalidInput {
                    field: "ssl_mode".into(),
                    reason: format!("the URL says sslmode `{a}` and the options `{b}`: give it once"),
                });
            }
            (a, b) => a.or(b).unwrap_or_default(),
        };
        let root_cert = match (split.root_cert.as_deref().map(Path::new), root_cert) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::InvalidInput {
                    field: "ssl_root_cert".into(),
                    reason: "the URL's sslrootcert and the options name different files: give it once".into(),
                });
            }
            (a, b) => a.or(b),
        };
        let roots = root_cert.map(|p| if p == Path::new("system") { Roots::System } else { Roots::File(p.to_path_buf()) });
        // As libpq: TLS is never tried on a Unix socket (the server has none there).
        let local = !config.get_hosts().is_empty() && config.get_hosts().iter().all(|h| !matches!(h, Host::Tcp(_)));
        let mode = if local { SslMode::Disable } else { mode };
        config.ssl_mode(match mode {
            SslMode::Disable => WireMode::Disable,
            SslMode::Prefer => WireMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
        });
        if mode == SslMode::Disable {
            return Ok(Self { mode, roots, connector: None });
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = match &roots {
            None if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) => {
                return Err(Error::storage(format!(
                    "sslmode `{mode}` needs the CA to check the server against: give sslrootcert=FILE (or sslrootcert=system) \
                     in the URL, or the `ssl_root_cert` option"
                )));
            }
            None => Verifier { chain: None, names: false, algorithms: provider.signature_verification_algorithms },
            Some(roots) => {
                let store = load(roots)?;
                let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| Error::storage(format!("cannot use {roots}: {e}")))?;
                Verifier { chain: Some(chain), names: mode == SslMode::VerifyFull, algorithms: provider.signature_verification_algorithms }
            }
        };
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::storage(format!("cannot set up TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Self { mode, roots, connector: Some(MakeRustlsConnect::new(client)) })
    }

    /// Opens one connection (blocking; the caller bounds it in time).
    pub(crate) fn connect(&self, config: &Config) -> Result<Client, postgres::Error> {
        match &self.connector {
            None => config.connect(NoTls),
            Some(connector) => config.connect(connector.clone()),
        }
    }

    /// A failed connect, in words an operator can act on: which TLS check
    /// failed and against what, else the server's own message.
    pub(crate) fn explain(&self, e: &postgres::Error) -> String {
        if let Some(tls) = rustls_cause(e) {
            return self.explain_rustls(tls);
        }
        let mut text = crate::describe(e);
        // The driver's message leaves its cause out ("error performing TLS handshake").
        if e.as_db_error().is_none()
            && let Some(cause) = std::error::Error::source(e)
        {
            text = format!("{text}: {cause}");
        }
        if text.contains("server does not support TLS") {
            return format!("the server does not offer TLS, which sslmode `{}` requires", self.mode);
        }
        text
    }

    fn explain_rustls(&self, e: &rustls::Error) -> String {
        let trusted = self.roots.as_ref().map_or_else(|| "the CA".to_string(), ToString::to_string);
        match e {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer | CertificateError::BadSignature) => {
                format!("TLS refused: the server's certificate is not signed by {trusted} (sslmode `{}`)", self.mode)
            }
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }) => {
                format!("TLS refused: the server's certificate does not name the host connected to (sslmode `{}`)", self.mode)
            }
            rustls::Error::InvalidCertificate(other) => format!("TLS refused: the server's certificate is not valid: {other:?}"),
            other => format!("TLS handshake failed: {other}"),
        }
    }
}

/// The rustls error under a driver error, also when wrapped in an I/O error
/// (whose `source` skips the error it wraps).
fn rustls_cause(e: &postgres::Error) -> Option<&rustls::Error> {
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

/// The CA certificates to trust, or a `storage` error naming the file.
fn load(roots: &Roots) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| Error::storage(format!("cannot read the CA file `{}`: {e}", path.display())))?;
            for cert in certs {
                store.add(cert).map_err(|e| Error::storage(format!("the CA file `{}` holds a bad certificate: {e}", path.display())))?;
            }
        }
        Roots::System => {
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    if store.is_empty() {
        return Err(Error::storage(format!("{roots} holds no certificate")));
    }
    Ok(store)
}

/// Checks the server's certificate as the mode asks: not at all (`prefer`
/// and `require` without a CA), its chain, or its chain and name. The
/// handshake's signatures are always checked, so the peer holds the key of
/// the certificate it showed.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    names: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            // The name is checked after the chain: this error means the chain was good.
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }))
                if !self.names =>
            {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_form_loses_only_the_tls_keywords() {
        let s = split("postgres://u:p%3Fw@h:5432/db?application_name=x&sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.crt&connect_timeout=3");
        assert_eq!(s.rest, "postgres://u:p%3Fw@h:5432/db?application_name=x&connect_timeout=3");
        assert_eq!(s.mode.as_deref(), Some("verify-full"));
        assert_eq!(s.root_cert.as_deref(), Some("/tmp/ca.crt"));
        let s = split("postgresql://h/db?sslmode=require");
        assert_eq!((s.rest.as_str(), s.mode.as_deref(), s.root_cert), ("postgresql://h/db", Some("require"), None));
        assert_eq!(split("postgres://h/db").rest, "postgres://h/db");
    }

    #[test]
    fn key_value_form_keeps_quoting_and_escapes() {
        let s = split(r"host=h  dbname='my db' password='it\'s' sslmode = verify-ca sslrootcert='/a b/ca.crt'");
        assert_eq!(s.rest, r"host='h' dbname='my db' password='it\'s'");
        assert_eq!(s.mode.as_deref(), Some("verify-ca"));
        assert_eq!(s.root_cert.as_deref(), Some("/a b/ca.crt"));
        let parsed: Config = s.rest.parse().unwrap();
        assert_eq!(parsed.get_password(), Some(&b"it's"[..]));
        assert_eq!(parsed.get_dbname(), Some("my db"));
    }

    #[test]
    fn unreadable_strings_pass_through_whole() {
        for s in ["not a url at all =", "host='unterminated", "=x"] {
            assert_eq!(split(s).rest, s);
        }
    }

    #[test]
    fn modes_parse_by_their_libpq_names_only() {
        for mode in [SslMode::Disable, SslMode::Prefer, SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            assert_eq!(mode.as_str().parse::<SslMode>().unwrap(), mode);
        }
        assert!(matches!("allow".parse::<SslMode>(), Err(Error::InvalidInput { .. })));
        assert!(matches!("VERIFY-FULL".parse::<SslMode>(), Err(Error::InvalidInput { .. })));
        assert_eq!(SslMode::default(), SslMode::Prefer);
    }
}
