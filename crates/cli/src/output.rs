//! Printing results: plain lines for people, `--json` for programs. Tokens are printed only by `mva token`.

use serde::Serialize;
use std::io::Write;

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Formats a Unix time as local-agnostic RFC 3339 (UTC) and a relative "in 4 min" hint.
pub fn when(unix: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let delta = unix - now;
    let rel = if delta.abs() < 2 {
        "now".to_string()
    } else if delta > 0 {
        format!("in {}", duration(delta as u64))
    } else {
        format!("{} ago", duration((-delta) as u64))
    };
    format!("{at} ({rel})")
}

/// "1 h 5 min", "4 min 3 s", "12 s".
pub fn duration(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

/// A spinner on stderr with a message; lines printed through [`say`] stay above it. When stderr is not a
/// terminal the spinner is hidden and the lines are printed plainly, so logs and tests see every step.
pub fn spinner(message: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message(message.to_string());
    bar
}

/// A spinner that stays hidden until [`show`]: lines printed before then (by [`say`] or by others writing to
/// stderr, like the URL of a login) are not mixed with its drawing.
pub fn hidden_spinner() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::hidden();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}").expect("valid template"),
    );
    bar
}

/// Starts drawing a spinner made by [`hidden_spinner`] when stderr is a terminal.
pub fn show(bar: &indicatif::ProgressBar) {
    if bar.is_hidden() && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
}

/// Prints a line above the spinner, or plainly on stderr when the spinner is hidden.
pub fn say(bar: &indicatif::ProgressBar, line: impl AsRef<str>) {
    if bar.is_hidden() {
        eprintln!("{}", line.as_ref());
    } else {
        bar.println(line.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(3725), "1 h 2 min");
        assert_eq!(duration(61), "1 min 1 s");
        assert_eq!(duration(5), "5 s");
    }
}
