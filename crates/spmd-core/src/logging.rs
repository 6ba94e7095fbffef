use std::fmt;
use std::io::IsTerminal;

use spmd_comm::Comm;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs a `tracing` subscriber on stderr that starts every line with `[rank N]`.
///
/// By default only rank 0 speaks (at `info`); other ranks print warnings and errors.
/// `RUST_LOG` sets the filter; `SPMD_LOG_ALL_RANKS=1` applies it on every rank. Lines are plain
/// text (no colour codes) unless stderr is a terminal and `NO_COLOR` is unset. Does nothing if a
/// subscriber is already installed.
pub fn init_logging(comm: &Comm) {
    let all = std::env::var("SPMD_LOG_ALL_RANKS").is_ok_and(|v| v == "1");
    let filter = if comm.is_root() || all {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
    } else {
        EnvFilter::new("warn")
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let format = RankPrefixed {
        rank: comm.rank(),
        inner: tracing_subscriber::fmt::format()
            .with_ansi(colour)
            .with_target(false)
            .without_time()
            .compact(),
    };
    let _ = tracing_subscriber::fmt()
        .with_ansi(colour)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(format)
        .try_init();
}

struct RankPrefixed<F> {
    rank: usize,
    inner: F,
}

impl<S, N, F> FormatEvent<S, N> for RankPrefixed<F>
where
    F: FormatEvent<S, N>,
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "[rank {}] ", self.rank)?;
        self.inner.format_event(ctx, writer, event)
    }
}
