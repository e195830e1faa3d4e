//! `mva demo` (being written).

use anyhow::Result;

/// Not yet.
pub async fn run(_args: crate::cli::DemoArgs) -> Result<u8> {
    anyhow::bail!("mva demo is not built yet")
}
