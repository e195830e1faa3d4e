//! `mva`: ID-porten login, VAT return validation and submission, and a local simulator.
//!
//! This is the binary's edge: parse the command line, run the command, print the error chain and map it to a
//! fixed exit code (see `exit.rs` and the README's table).

mod choices;
mod cli;
mod commands;
mod exit;
mod last_login;
mod lifetimes;
mod logging;
// glibc keeps maths in a library of its own; elsewhere (musl, macOS, Windows) `pow` is in the C library anyway.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod math;
mod output;
mod parse;
mod settings;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread exists: no child process may inherit MVA_CLIENT_SECRET.
    settings::take_secrets_from_env();
    let cli = parse::parse();
    // The simulator logs every request on one line; other commands are quiet unless asked.
    let default_level = match (&cli.command, cli.global.verbose) {
        (cli::Command::Sim(_) | cli::Command::Serve(_), 0) => "info",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    logging::init(default_level);
    // A fresh stored token, the session, help files: answered on this thread, without an async runtime.
    if let Some(outcome) = commands::run_at_once(&cli) {
        return finish(outcome);
    }
    // A token to refresh and logout need one thread; the network commands get a worker per core.
    let mut builder = match cli.command {
        cli::Command::Token(_) | cli::Command::Logout(_) => {
            tokio::runtime::Builder::new_current_thread()
        }
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mva: cannot start: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    finish(runtime.block_on(commands::run(cli)))
}

/// The exit code of a command's outcome, after printing its error chain and help.
fn finish(outcome: anyhow::Result<u8>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if exit::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("mva: {err:#}");
            if let Some(help) = exit::help_for(&err) {
                eprintln!("help: {help}");
            }
            ExitCode::from(exit::code_for(&err))
        }
    }
}

#[cfg(test)]
mod tests {
    /// build.rs links the unwinder into the binary (and into this test, linked the same way): a panic still
    /// unwinds and is caught, and libgcc_s is not in the process.
    #[test]
    fn panics_unwind_with_the_unwinder_linked_in() {
        let caught = std::panic::catch_unwind(|| {
            let v: Vec<u8> = Vec::new();
            v[usize::from(std::hint::black_box(1u8))]
        });
        assert!(caught.is_err(), "the panic was caught by unwinding");
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
            assert!(!maps.contains("libgcc_s"), "libgcc_s was loaded:\n{maps}");
        }
    }
}
