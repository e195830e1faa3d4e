//! Reading the command line, quickly for the commands scripts call most.
//!
//! clap's derive builds the whole command tree (every subcommand, every argument with its help text) before it
//! reads one argument: for `mva token` that was about 0.5 M instructions and 200 kB of heap, more than the rest of
//! the command (docs/benchmarks.md, `mva token` start-up). `token` and `whoami`, which answer from the stored
//! session, are therefore first read by a tree with the global options and that one subcommand, built from the
//! same derive definitions (`GlobalOptions`, `TokenArgs`, `WhoamiArgs`); the test below checks that their
//! arguments are the whole tree's. Whatever that small tree does not accept (other commands, `help`,
//! `--help`, `--version`, a mistake) is read again by the whole tree, so every answer, help text and error message
//! is the one the whole tree gives.

use clap::{Args, FromArgMatches, Parser};
use std::ffi::OsString;

use crate::cli::{Cli, GlobalOptions, TokenArgs, WhoamiArgs};

/// The subcommands read by a small tree (one at a time).
const QUICK: [&str; 2] = ["token", "whoami"];

/// Parses `std::env::args_os()`; on an error, or for `--help` and `--version`, prints and exits as clap does.
pub fn parse() -> Cli {
    parse_from(std::env::args_os().collect())
}

fn parse_from(args: Vec<OsString>) -> Cli {
    match quick(args.clone()) {
        Some(cli) => cli,
        None => Cli::parse_from(args),
    }
}

/// The command line as the small tree reads it; `None` when it is not a quick command, or not a valid one.
fn quick(args: Vec<OsString>) -> Option<Cli> {
    let name = QUICK
        .into_iter()
        .find(|q| args.iter().skip(1).any(|a| a == q))?;
    let matches = quick_command(name).try_get_matches_from(args).ok()?;
    Cli::from_arg_matches(&matches).ok()
}

/// The tree with only the quick subcommand `name` (one of [`QUICK`]), from the definitions the whole tree uses.
fn quick_command(name: &'static str) -> clap::Command {
    let root = GlobalOptions::augment_args(clap::Command::new("mva"));
    let sub = clap::Command::new(name);
    root.subcommand(match name {
        "token" => TokenArgs::augment_args(sub),
        _ => WhoamiArgs::augment_args(sub),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn args(line: &str) -> Vec<OsString> {
        std::iter::once("mva")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    /// Every argument of `command`, as clap describes it (names, env, defaults, value parser, help), less its
    /// place in the help listing, which counts from the first argument of the tree.
    fn described(command: &clap::Command) -> Vec<String> {
        command
            .get_arguments()
            .filter(|a| a.get_id() != "version")
            .map(|a| {
                let text = format!("{a:?}");
                let start = text
                    .find("disp_ord: ")
                    .expect("clap describes the display order");
                let end = start + text[start..].find(", ").expect("more follows");
                format!("{}{}", &text[..start], &text[end..])
            })
            .collect()
    }

    #[test]
    fn the_small_tree_has_the_same_arguments_as_the_whole_one() {
        let mut whole = Cli::command();
        whole.build();
        for name in QUICK {
            let mut small = quick_command(name);
            small.build();
            assert_eq!(described(&small), described(&whole), "global options");
            let of = |c: &clap::Command| described(c.find_subcommand(name).expect(name));
            assert_eq!(of(&small), of(&whole), "mva {name}");
            assert!(!of(&small).is_empty());
        }
    }

    #[test]
    fn the_small_tree_reads_quick_commands_as_the_whole_one_does() {
        for line in [
            "token",
            "token --json",
            "--profile test token",
            "token --profile test -vv",
            "--config c.toml whoami --show-pid --json",
            "whoami --issuer http://127.0.0.1:1 --client-id x",
            "-v token --env prod --client-auth private_key_jwt --private-key k.pem --key-id k1",
            "token --scope openid --redirect-uri http://localhost:1/cb --integration integration.json",
        ] {
            let quick = quick(args(line)).unwrap_or_else(|| panic!("`{line}` is quick"));
            let whole = Cli::try_parse_from(args(line)).expect(line);
            assert_eq!(format!("{quick:?}"), format!("{whole:?}"), "`{line}`");
        }
    }

    #[test]
    fn anything_else_goes_to_the_whole_tree() {
        for line in [
            "",
            "--help",
            "--version",
            "-V",
            "help token",
            "token --help",
            "whoami -h",
            "token --no-such-flag",
            "token extra",
            "token --client-auth magic",
            "login",
            "validate token",
            "sim --port 1",
            "--config token login",
        ] {
            assert!(
                quick(args(line)).is_none(),
                "`{line}` is not read by the small tree"
            );
        }
    }
}
