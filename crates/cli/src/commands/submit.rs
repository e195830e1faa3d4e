//! `mva submit` (being written).

use anyhow::Result;

/// Not yet.
pub async fn run(_ctx: &crate::settings::ProfileSettings, _args: crate::cli::SubmitArgs) -> Result<u8> {
    anyhow::bail!("mva submit is not built yet")
}
