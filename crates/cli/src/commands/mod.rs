//! One module per subcommand. Each returns the exit code of a normal end, or an error for `main` to print.

mod completions;
mod demo;
mod integration;
mod login;
mod logout;
mod man;
mod serve;
mod session;
mod sim;
mod status;
mod submit;
mod token;
mod validate;
mod vat;
mod whoami;

use crate::cli::{Cli, Command, IntegrationCommand};
use crate::settings;

/// Runs what needs no async runtime, on this thread: `token` when the stored access token is fresh, `whoami`,
/// `integration check`, `completions` and `man`. `None`: the command needs [`run`] on a runtime.
pub fn run_at_once(cli: &Cli) -> Option<anyhow::Result<u8>> {
    let ctx = || settings::load(&cli.global);
    match &cli.command {
        Command::Token(args) => ctx().and_then(|c| token::from_store(&c, args)).transpose(),
        Command::Whoami(args) => Some(ctx().and_then(|c| whoami::run(&c, args))),
        Command::Integration(IntegrationCommand::Check(args)) => {
            Some(ctx().and_then(|c| integration::check(&c, args)))
        }
        Command::Completions(args) => Some(completions::run(args)),
        Command::Man(args) => Some(man::run(args)),
        _ => None,
    }
}

/// Runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let ctx = || settings::load(&cli.global);
    match cli.command {
        Command::Login(args) => login::run(&ctx()?, args).await,
        Command::Token(args) => token::run(&ctx()?, args).await,
        Command::Whoami(args) => whoami::run(&ctx()?, &args),
        Command::Logout(args) => logout::run(&ctx()?, args).await,
        Command::Integration(IntegrationCommand::Check(args)) => integration::check(&ctx()?, &args),
        Command::Sim(args) => sim::run(args).await,
        Command::Validate(args) => validate::run(&ctx()?, args).await,
        Command::Submit(args) => submit::run(&ctx()?, args).await,
        Command::Status(args) => status::run(&ctx()?, args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Serve(args) => serve::run(&ctx()?, args).await,
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    }
}
