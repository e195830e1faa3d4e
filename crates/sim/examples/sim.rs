//! Runs the simulator until Ctrl-C: `cargo run -p mva-sim --example sim -- [--port N] [--config FILE]`.
//!
//! Prints `issuer: http://127.0.0.1:PORT` as its first line (tools that start it wait for that line), then the
//! endpoints. The same as `mva sim`, for use before the CLI exists. Logs go to stderr (`RUST_LOG=info` default).

use std::path::PathBuf;

#[tokio::main]
async fn main() {
    // RUST_LOG's directives (`info`, `mva_sim=debug`, ...), else info.
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| "info".parse().expect("a level"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let lines = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry()
        .with(lines)
        .with(filter)
        .init();
    let mut port: Option<u16> = None;
    let mut config_path: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .or_else(|| fail("--port needs a number"))
            }
            "--config" => {
                config_path = Some(
                    args.next()
                        .map(PathBuf::from)
                        .unwrap_or_else(|| fail("--config needs a file")),
                )
            }
            "-h" | "--help" => {
                println!("usage: sim [--port N] [--config FILE]");
                return;
            }
            other => fail(&format!(
                "unknown argument {other}; usage: sim [--port N] [--config FILE]"
            )),
        }
    }
    let config = match &config_path {
        Some(path) => sim::SimConfig::read(path).unwrap_or_else(|e| fail(&e.to_string())),
        None => sim::SimConfig::default(),
    };
    let port = port.unwrap_or(config.sim.port);
    let handle = sim::start(config, ([127, 0, 0, 1], port).into())
        .await
        .unwrap_or_else(|e| fail(&e.to_string()));
    println!("issuer: {}", handle.issuer());
    for (name, url) in handle.endpoints() {
        println!("{name:>10}: {url}");
    }
    println!(
        "key generation: {} ms; Ctrl-C stops",
        handle.key_generation_time().as_millis()
    );
    let _ = tokio::signal::ctrl_c().await;
    let stopping = std::time::Instant::now();
    handle.shutdown().await;
    eprintln!("stopped in {} ms", stopping.elapsed().as_millis());
}

fn fail<T>(message: &str) -> T {
    eprintln!("error: {message}");
    std::process::exit(2)
}
