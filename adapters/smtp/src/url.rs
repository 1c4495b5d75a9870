//! An SMTP server named by one URL, as operators and command lines give it:
//! `smtp://user:password@host:port?tls=required`.

use std::path::PathBuf;
use std::time::Duration;

use partner_benefits::Error;
use percent_encoding::percent_decode_str;
use url::{Host, Url};

use crate::{Credentials, SmtpConfig, Tls};

/// The port of each scheme and `tls` option when the URL names none (as lettre's URLs).
const SMTP_PORT: u16 = 25;
const SUBMISSION_PORT: u16 = 587;
const SUBMISSIONS_PORT: u16 = 465;

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidInput { field: "smtp_url".into(), reason: reason.into() }
}

/// A URL part, percent-decoded; `what` names it in errors (never its value).
fn decoded(text: &str, what: &str) -> Result<String, Error> {
    percent_decode_str(text).decode_utf8().map(|s| s.into_owned()).map_err(|_| invalid(format!("the {what} is not UTF-8 once decoded")))
}

impl SmtpConfig {
    /// The config a URL names, sending as `from`:
    ///
    /// - `smtp://host[:port]`: plain SMTP (port 25), for a relay on loopback
    ///   or a trusted network;
    /// - `smtp://host[:port]?tls=required`: STARTTLS required (port 587);
    ///   `tls=opportunistic` for STARTTLS when offered (see [`Tls`]);
    /// - `smtps://host[:port]`: implicit TLS (port 465).
    ///
    /// `user:password@` before the host logs in with SMTP AUTH (percent-encode
    /// `@`, `:` and `/` in them). Options: `ca_file=PATH` trusts only the CA
    /// certificates in that PEM file, `timeout=SECONDS` bounds the connect and
    /// each command (default 10). Anything else, a path or a fragment is
    /// `invalid_input` naming the part at fault, never the password; so is an
    /// unknown option, rather than being ignored.
    pub fn from_url(url: &str, from: impl Into<String>) -> Result<Self, Error> {
        let parsed = Url::parse(url).map_err(|e| invalid(format!("not a URL ({e}); write smtp://host:port or smtps://host:port")))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(invalid(format!("`{}://` is not an SMTP URL: use smtp:// or smtps://", parsed.scheme())));
        }
        let host = match parsed.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_ascii_lowercase(),
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => address.to_string(),
            _ => return Err(invalid("the URL names no host: write smtp://host:port")),
        };
        if !matches!(parsed.path(), "" | "/") || parsed.fragment().is_some() {
            return Err(invalid("an SMTP URL has no path or fragment: write smtp://host:port?option=value"));
        }
        let mut tls_option = None;
        let mut ca_file = None;
        let mut timeout = None;
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "tls" => tls_option = Some(value.into_owned()),
                "ca_file" => ca_file = Some(PathBuf::from(value.as_ref())),
                "timeout" => {
                    let seconds: u64 = value
                        .parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| invalid(format!("`timeout` is a whole number of seconds, not `{value}`")))?;
                    timeout = Some(Duration::from_secs(seconds));
                }
                other => return Err(invalid(format!("unknown option `{other}`: the options are `tls`, `ca_file` and `timeout`"))),
            }
        }
        let (tls, default_port) = match (parsed.scheme(), tls_option.as_deref()) {
            ("smtp", None | Some("none")) => (Tls::None, SMTP_PORT),
            ("smtp", Some("required")) => (Tls::StartTls, SUBMISSION_PORT),
            ("smtp", Some("opportunistic")) => (Tls::StartTlsOpportunistic, SUBMISSION_PORT),
            ("smtp", Some(other)) => {
                return Err(invalid(format!("`tls={other}` is not an option: use `required`, `opportunistic` or `none`")));
            }
            ("smtps", None) => (Tls::Implicit, SUBMISSIONS_PORT),
            ("smtps", Some(_)) => return Err(invalid("smtps:// is TLS from the first byte: it takes no `tls` option")),
            (other, _) => return Err(invalid(format!("`{other}://` is not an SMTP URL: use smtp:// or smtps://"))),
        };
        let credentials = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(invalid("the URL gives a password but no user name")),
            (user, password) => Some(Credentials::new(decoded(user, "user name")?, decoded(password.unwrap_or(""), "password")?)),
        };
        let mut config = SmtpConfig::new(host, parsed.port().unwrap_or(default_port), from);
        config.tls = tls;
        config.tls_ca_file = ca_file;
        config.credentials = credentials;
        if let Some(timeout) = timeout {
            config.timeout = timeout;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const FROM: &str = "benefits@partner.example";

    fn config(url: &str) -> SmtpConfig {
        SmtpConfig::from_url(url, FROM).unwrap()
    }

    fn refusal(url: &str) -> String {
        let err = SmtpConfig::from_url(url, FROM).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{url}: {err}");
        err.to_string()
    }

    #[test]
    fn each_scheme_and_tls_option_has_its_security_and_default_port() {
        for (url, host, tls, port) in [
            ("smtp://127.0.0.1", "127.0.0.1", Tls::None, 25),
            ("smtp://[::1]:2525", "::1", Tls::None, 2525),
            ("smtp://relay.example?tls=none", "relay.example", Tls::None, 25),
            ("smtp://relay.example?tls=required", "relay.example", Tls::StartTls, 587),
            ("smtp://relay.example:25?tls=opportunistic", "relay.example", Tls::StartTlsOpportunistic, 25),
            ("smtps://relay.example", "relay.example", Tls::Implicit, 465),
            ("SMTPS://Relay.Example:4650/", "relay.example", Tls::Implicit, 4650),
        ] {
            let config = config(url);
            assert_eq!((config.host.as_str(), config.tls, config.port), (host, tls, port), "{url}");
            assert_eq!(config.from, FROM);
            assert!(config.credentials.is_none());
        }
    }

    #[test]
    fn credentials_ca_file_and_timeout_come_from_the_url() {
        let config = config("smtps://relay%40corp:p%40ss%3Aword@relay.example?ca_file=/etc/relay-ca.pem&timeout=3");
        let credentials = config.credentials.unwrap();
        assert_eq!(credentials.username(), "relay@corp");
        assert_eq!(credentials.password.expose_secret(), "p@ss:word");
        assert_eq!(config.tls_ca_file, Some(PathBuf::from("/etc/relay-ca.pem")));
        assert_eq!(config.timeout, Duration::from_secs(3));
    }

    #[test]
    fn a_bad_url_is_invalid_input_naming_the_part_and_never_the_password() {
        for (url, said) in [
            ("relay.example:25", "`relay.example://` is not an SMTP URL"),
            ("http://relay.example", "`http://` is not an SMTP URL"),
            ("smtp://", "no host"),
            ("smtp://relay.example/ehlo", "no path"),
            ("smtp://relay.example?tls=yes", "`tls=yes`"),
            ("smtps://relay.example?tls=required", "no `tls` option"),
            ("smtp://relay.example?port=25", "unknown option `port`"),
            ("smtp://relay.example?timeout=0", "`timeout`"),
            ("smtp://:hunter2@relay.example", "no user name"),
            ("not a url", "not a URL"),
        ] {
            let message = refusal(url);
            assert!(message.contains(said), "{url}: {message}");
        }
        let message = refusal("smtp://user:hunter2@relay.example?bogus=1");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn a_url_config_builds_a_mailer() {
        assert!(crate::SmtpMailer::new(config("smtp://user:pass@127.0.0.1:2525")).is_ok());
        // A CA file with plain SMTP is refused by the mailer, as for any config.
        let err = crate::SmtpMailer::new(config("smtp://127.0.0.1?ca_file=/nonexistent.pem")).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
    }
}
