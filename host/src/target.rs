//! Where a center keeps its data, as a host names it: a SQLite file, a
//! PostgreSQL URL or memory.

use std::path::PathBuf;

/// The two URL schemes libpq accepts, in the lower case the driver wants.
const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// Where a center keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// In memory, for tests and demos; gone with the center.
    Memory,
    /// The SQLite file at this path (the bindings create it if missing;
    /// the command line refuses a missing file where it would only read).
    Sqlite(PathBuf),
    /// The PostgreSQL database at this libpq URL (scheme in lower case).
    Postgres(String),
}

impl Target {
    /// The target a host's text names: a PostgreSQL database when it starts
    /// with `postgres://` or `postgresql://` in any letter case, else the
    /// SQLite file at that path.
    pub fn from_text(text: &str) -> Self {
        postgres_url(text).map_or_else(|| Self::Sqlite(PathBuf::from(text)), Self::Postgres)
    }

    /// Whether demo keys go in when the host did not say: memory always
    /// (tests and demos), a store only under a manual clock, never in a
    /// production set-up on the system clock.
    pub fn stocks_demo_keys_by_default(&self, manual_clock: bool) -> bool {
        matches!(self, Self::Memory) || manual_clock
    }

    /// The target fit to show (a `repr`, a log line): a URL's password, in
    /// the user info or a `password=` option, is `***`.
    pub fn shown(&self) -> String {
        match self {
            Self::Memory => "memory".to_owned(),
            Self::Sqlite(path) => path.to_string_lossy().into_owned(),
            Self::Postgres(url) => redact_url(url),
        }
    }
}

/// Shows the target as [`Target::shown`] does: a URL's password never
/// reaches a log or an error through `{:?}`.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Memory => "Memory",
            Self::Sqlite(_) => "Sqlite",
            Self::Postgres(_) => "Postgres",
        };
        write!(f, "{kind}({:?})", self.shown())
    }
}

/// The URL with its scheme in lower case when `text` names a PostgreSQL
/// database. Hosts type schemes as they like (`POSTGRES://` from an
/// environment variable); libpq itself only takes the lower-case form.
pub fn postgres_url(text: &str) -> Option<String> {
    POSTGRES_SCHEMES.iter().find_map(|scheme| {
        let head = text.get(..scheme.len())?;
        let rest = text.get(scheme.len()..)?;
        head.eq_ignore_ascii_case(scheme).then(|| format!("{scheme}{rest}"))
    })
}

/// Splits the way the `postgres` crate parses: the user info is everything
/// before the first `@`, so what is shown is what would be sent.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let rest = match rest.split_once('@') {
        Some((credentials, after)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{after}"),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    };
    let rest = match rest.split_once('?') {
        Some((base, query)) => {
            let options: Vec<String> = query
                .split('&')
                .map(|option| match option.split_once('=') {
                    Some((key, _)) if key == "password" => format!("{key}=***"),
                    _ => option.to_owned(),
                })
                .collect();
            format!("{base}?{}", options.join("&"))
        }
        None => rest,
    };
    format!("{scheme}://{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_recognised_in_any_letter_case() {
        for (given, url) in [
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgresql://h:5432/DB", "postgresql://h:5432/DB"),
            ("POSTGRES://h/Db", "postgres://h/Db"),
            ("PostgreSQL://h/db", "postgresql://h/db"),
            ("pOsTgReS://u:p@h/db?connect_timeout=2", "postgres://u:p@h/db?connect_timeout=2"),
        ] {
            assert_eq!(Target::from_text(given), Target::Postgres(url.to_owned()), "{given}");
        }
    }

    #[test]
    fn anything_else_is_a_sqlite_file() {
        for path in ["benefits.db", "/var/lib/postgres/benefits.db", "postgres", "postgres:/x", "host=h dbname=db", "", "é", "postgresé"]
        {
            assert_eq!(Target::from_text(path), Target::Sqlite(PathBuf::from(path)), "{path}");
        }
    }

    #[test]
    fn demo_keys_by_default_only_in_memory_or_under_a_manual_clock() {
        let file = Target::from_text("benefits.db");
        let url = Target::from_text("postgres://h/db");
        assert!(Target::Memory.stocks_demo_keys_by_default(false));
        assert!(file.stocks_demo_keys_by_default(true) && url.stocks_demo_keys_by_default(true));
        assert!(!file.stocks_demo_keys_by_default(false) && !url.stocks_demo_keys_by_default(false));
    }

    #[test]
    fn a_shown_url_never_holds_the_password() {
        let shown = Target::from_text("POSTGRES://avery:hunter2@db.internal:5432/benefits?password=hunter2&application_name=x").shown();
        assert_eq!(shown, "postgres://avery:***@db.internal:5432/benefits?password=***&application_name=x");
        assert_eq!(Target::from_text("postgres://db.internal/benefits").shown(), "postgres://db.internal/benefits");
        let debug = format!("{:?}", Target::from_text("postgres://avery:hunter2@db.internal/benefits?password=hunter2"));
        assert!(debug.starts_with("Postgres(") && !debug.contains("hunter2"), "{debug}");
        assert_eq!(Target::from_text("data/benefits.db").shown(), "data/benefits.db");
    }
}
