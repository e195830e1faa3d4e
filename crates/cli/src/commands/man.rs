//! `mva man`: the manual page in roff, generated from the same clap definitions as the parser and `--help`.

use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;

use crate::cli::{Cli, ManArgs};
use crate::exit;

/// Prints mva(1), or writes it and one page per subcommand (mva-login.1, mva-integration-check.1, ...) into
/// `--out DIR`.
pub fn run(args: &ManArgs) -> Result<u8> {
    let command = Cli::command();
    match &args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&page)?;
            stdout.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
            println!("wrote the manual pages into {}", dir.display());
        }
    }
    Ok(exit::SUCCESS)
}
