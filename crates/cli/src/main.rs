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
mod output;
mod settings;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread exists: no child process may inherit MVA_CLIENT_SECRET.
    settings::take_secrets_from_env();
    let cli = cli::Cli::parse();
    // The simulator logs every request on one line; other commands are quiet unless asked.
    let default_level = match (&cli.command, cli.global.verbose) {
        (cli::Command::Sim(_) | cli::Command::Serve(_), 0) => "info",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    init_logging(default_level);
    // Quick commands (a stored token, the session, help files) run on this thread: no worker threads to start.
    let mut builder = match cli.command {
        cli::Command::Token(_)
        | cli::Command::Whoami(_)
        | cli::Command::Logout(_)
        | cli::Command::Completions(_)
        | cli::Command::Man(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mva: cannot start: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
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

/// Logs to stderr at the level -v asks for. Nothing logs tokens; `RUST_LOG` overrides.
fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{level},hyper=warn,reqwest=warn"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
