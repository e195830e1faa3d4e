//! `mva sim`: the local simulator in the foreground until Ctrl-C.

use anyhow::{Context, Result};
use std::net::{Ipv4Addr, SocketAddr};

use crate::cli::SimArgs;
use crate::exit;

/// Starts the simulator, prints its issuer and endpoints, and runs until Ctrl-C.
pub async fn run(args: SimArgs) -> Result<u8> {
    let mut config = match &args.sim_config {
        Some(path) => sim::SimConfig::read(path)?,
        None => sim::SimConfig::default(),
    };
    if args.headless_login {
        config.sim.headless_login = true;
    }
    let port = args.port.unwrap_or(config.sim.port);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let handle = sim::start(config, addr)
        .await
        .with_context(|| format!("cannot start the simulator on {addr}"))?;
    println!("mva sim: ID-porten, the validation API and Altinn 3, simulated");
    println!("issuer    {}", handle.issuer());
    for (name, url) in handle.endpoints() {
        println!("{name:<9} {url}");
    }
    println!();
    println!("Try it:   mva login --issuer {}", handle.issuer());
    println!("Stop it:  Ctrl-C");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    eprintln!("mva sim: stopping");
    handle.shutdown().await;
    Ok(exit::SUCCESS)
}
