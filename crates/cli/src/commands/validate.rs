//! `mva validate` (being written).

use anyhow::Result;

/// Not yet.
pub async fn run(_ctx: &crate::settings::ProfileSettings, _args: crate::cli::ValidateArgs) -> Result<u8> {
    anyhow::bail!("mva validate is not built yet")
}
