//! Logging to stderr: tracing-subscriber's formatter, built when the first line is to be printed.
//!
//! The formatter keeps span data in a registry whose creation costs about 45 000 instructions and a 32 kB table
//! (eight fresh pages): 3 % of a `mva token` that prints no log line, as it does when nothing is wrong. At the
//! default level of the quick commands (warnings and errors, `RUST_LOG` unset) `mva` installs [`Deferred`]
//! instead, which answers "would this be printed?" from the level alone, as the formatter's filter would, and
//! builds the formatter the first time the answer is yes. Every other level, and any `RUST_LOG`, gets the
//! formatter at once.
//!
//! The filter is a level per target (`Targets`: `RUST_LOG=info,mva_sim=debug`), not tracing-subscriber's
//! `EnvFilter`, whose span and field directives nobody here needs and whose regular-expression engine made the
//! binary larger, and so slower to start (docs/benchmarks.md). Release builds keep no `trace!` call sites at all
//! (`tracing/release_max_level_debug`): `-vv` shows debug lines, as documented, and the hundreds of trace call
//! sites of the HTTP/2 library are not relocated at every start.

use std::sync::OnceLock;
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Logs to stderr at `level` ("warn", "info", "debug"); `RUST_LOG` (e.g. `info,mva=debug`) overrides. Nothing
/// logs tokens.
pub fn init(level: &str) {
    let from_env = std::env::var_os(RUST_LOG).is_some_and(|v| !v.is_empty());
    if !from_env && level == "warn" {
        Deferred::new(LevelFilter::WARN, || formatter("warn")).init();
    } else {
        formatter(level).init();
    }
}

/// The variable whose directives replace the default filter.
const RUST_LOG: &str = "RUST_LOG";

/// What is printed: `RUST_LOG`'s directives when it holds valid ones (a level, and `target=level` pairs), else
/// `level` for everything but the HTTP libraries, which say only what went wrong.
fn filter(level: &str) -> Targets {
    std::env::var(RUST_LOG)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(level.parse::<LevelFilter>().unwrap_or(LevelFilter::WARN))
                .with_target("hyper", LevelFilter::WARN)
                .with_target("reqwest", LevelFilter::WARN)
        })
}

/// The formatter: one line per event on stderr, coloured on a terminal, without the module path.
fn formatter(level: &str) -> Dispatch {
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    tracing_subscriber::registry()
        .with(lines)
        .with(filter(level))
        .into()
}

/// A subscriber that filters by level alone and builds the real one (`make`) at the first event or span that
/// passes; everything after goes to it. Only for filters that are a level for every target.
pub struct Deferred {
    max: LevelFilter,
    make: fn() -> Dispatch,
    made: OnceLock<Dispatch>,
}

impl Deferred {
    /// Passes what `max` lets through to the subscriber `make` builds, once, when first needed.
    pub fn new(max: LevelFilter, make: fn() -> Dispatch) -> Self {
        Self {
            max,
            make,
            made: OnceLock::new(),
        }
    }

    fn inner(&self) -> &Dispatch {
        self.made.get_or_init(self.make)
    }
}

impl Subscriber for Deferred {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.max >= *metadata.level()
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner().new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner().record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner().record_follows_from(span, follows);
    }

    fn event(&self, event: &Event<'_>) {
        let inner = self.inner();
        if inner.enabled(event.metadata()) {
            inner.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        self.inner().enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner().exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner().clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner().try_close(id)
    }

    fn current_span(&self) -> tracing_core::span::Current {
        match self.made.get() {
            Some(inner) => inner.current_span(),
            None => tracing_core::span::Current::none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// What the formatter built by the test writes.
    static LINES: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    struct Lines;
    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            LINES.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn test_formatter() -> Dispatch {
        BUILT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let lines = tracing_subscriber::fmt::layer()
            .with_writer(|| Lines)
            .with_ansi(false)
            .with_target(false);
        tracing_subscriber::registry()
            .with(lines)
            .with(Targets::new().with_default(LevelFilter::WARN))
            .into()
    }

    #[test]
    fn the_formatter_is_built_at_the_first_warning_and_prints_what_it_would_have_printed() {
        let deferred = Arc::new(Deferred::new(LevelFilter::WARN, test_formatter));
        let dispatch = Dispatch::from(deferred.clone());
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!("not printed");
            tracing::debug!("nor this");
            let quiet = tracing::info_span!("quiet");
            let _entered = quiet.enter();
            assert_eq!(
                BUILT.load(std::sync::atomic::Ordering::SeqCst),
                0,
                "nothing to print yet"
            );
            let span = tracing::warn_span!("refresh", attempt = 2);
            let _in_span = span.enter();
            tracing::warn!(file = "tokens/abc", "a token file was open to others");
            tracing::error!("and an error");
            tracing::info!("still not printed");
        });
        assert_eq!(
            BUILT.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "built once"
        );
        let text = String::from_utf8(LINES.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains(
                "WARN refresh{attempt=2}: a token file was open to others file=\"tokens/abc\""
            ),
            "{text}"
        );
        assert!(
            lines[1].contains("ERROR refresh{attempt=2}: and an error"),
            "{text}"
        );
        assert!(
            !text.contains("not printed") && !text.contains("nor this"),
            "{text}"
        );
    }
}
