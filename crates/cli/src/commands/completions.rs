//! `mva completions SHELL`: the completion script for bash, zsh, fish, PowerShell or elvish, generated from the
//! same clap definitions as the parser, so it always offers the commands, flags and values `mva` accepts.

use anyhow::Result;
use clap::CommandFactory;
use std::io::Write;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit;

/// Prints the script on stdout.
pub fn run(args: &CompletionsArgs) -> Result<u8> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "mva", &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(exit::SUCCESS)
}
