//! `mva status` (being written).

use anyhow::Result;

/// Not yet.
pub async fn run(_ctx: &crate::settings::ProfileSettings, _args: crate::cli::StatusArgs) -> Result<u8> {
    anyhow::bail!("mva status is not built yet")
}
