//! The library's `tracing` output, forwarded to a host's logger: one line
//! per event, prefixed with the spans it happened in, e.g.
//! `command{organization=org-1 kind="assign_user" rows=1}: command applied outcome="ok" elapsed_us=41`.
//! The core never puts a key, an address or a mail body in a span or an
//! event (B3), so neither can a line.
//!
//! A process has one global `tracing` subscriber. [`install`] sets ours the
//! first time and only swaps the sink after that, so a host may set, replace
//! or remove its logger at any time. A host that set its own global
//! subscriber first keeps it: installing then says so.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// Where forwarded lines go.
pub trait LogSink: Send + Sync {
    /// One line at `level` from `target` (the module that logged it).
    fn log(&self, level: Level, target: &str, line: &str);
}

/// The sink in use and the most verbose level it takes.
struct Route {
    sink: Arc<dyn LogSink>,
    max: Level,
}

fn route() -> &'static RwLock<Option<Route>> {
    static ROUTE: OnceLock<RwLock<Option<Route>>> = OnceLock::new();
    ROUTE.get_or_init(|| RwLock::new(None))
}

/// Whether events go to a host's sink now: then any call into the library
/// may call the host back (a binding must not hold a lock the sink needs).
pub fn forwarding() -> bool {
    route().read().map(|current| current.is_some()).unwrap_or(true)
}

/// Sends the library's events at `max` and less verbose to `sink` (`None`:
/// stop forwarding). Fails, changing nothing, when the host had already set
/// a global `tracing` subscriber of its own.
pub fn install(sink: Option<Arc<dyn LogSink>>, max: Level) -> Result<(), partner_benefits::Error> {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let ours = *INSTALLED.get_or_init(|| tracing_subscriber::registry().with(Forward).try_init().is_ok());
    if !ours {
        return Err(partner_benefits::Error::PreconditionFailed {
            reason: "the process already has a global tracing subscriber; the library's events go to it".into(),
        });
    }
    let mut current = route().write().map_err(|_| partner_benefits::Error::storage("the logger was poisoned by a panic"))?;
    *current = sink.map(|sink| Route { sink, max });
    Ok(())
}

/// Fields of a span, as `name=value` text, kept in the span's extensions.
struct SpanFields(String);

/// Writes `name=value` pairs; the `message` field goes first, bare.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

struct Forward;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Forward {
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, id: &tracing::span::Id, ctx: Context<'_, S>) {
        let mut line = Line::default();
        attrs.record(&mut line);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(line.fields.trim_start().to_string()));
        }
    }

    fn on_record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        let mut line = Line::default();
        values.record(&mut line);
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            fields.0.push_str(&line.fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // The sink is taken out of the lock before it is called: a sink that
        // waits (Python's logging takes the GIL) must not hold up `install`,
        // which a host calls from a thread that may hold the GIL itself.
        let sink = {
            let Ok(current) = route().read() else { return };
            let Some(route) = current.as_ref() else { return };
            // `Level` orders from the most verbose: TRACE > DEBUG > ... > ERROR.
            if *event.metadata().level() > route.max {
                return;
            }
            Arc::clone(&route.sink)
        };
        let level = *event.metadata().level();
        let mut text = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                let fields = span.extensions().get::<SpanFields>().map(|f| f.0.clone()).unwrap_or_default();
                let _ = write!(text, "{}{{{fields}}}: ", span.name());
            }
        }
        let mut line = Line::default();
        event.record(&mut line);
        text.push_str(&line.message);
        text.push_str(&line.fields);
        sink.log(level, event.metadata().target(), &text);
    }
}
