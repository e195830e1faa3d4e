//! Local validation throughput (files/s) with 1 and 2 threads, side by side with `xmllint --noout --schema`
//! validating the same files in one process.
//!
//! ```text
//! cargo run --release -p mva --example bench_validate -- [DIR] [REPEAT]
//! ```
//! DIR defaults to the published examples kept in the crate (testdata/mva-meldingen/examples/melding); each file is validated REPEAT times (default 30).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/mva-meldingen/examples/melding")
    });
    let repeat: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(30);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cannot read the folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let all: Vec<PathBuf> = (0..repeat).flat_map(|_| files.iter().cloned()).collect();
    let n = all.len();
    println!(
        "{} files x {repeat} = {n} validations, {} cores",
        files.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // The machine may be shared: every figure is the best (shortest) of ROUNDS runs.
    const ROUNDS: usize = 5;
    println!("best of {ROUNDS} runs each");
    // warm the page cache
    let _ = mva::validate_files(&files, 1);
    let mut ours = Vec::new();
    let counts: Vec<usize> = match std::env::var("BENCH_THREADS") {
        Ok(v) => v.split(',').filter_map(|t| t.trim().parse().ok()).collect(),
        Err(_) => vec![1, 2],
    };
    for threads in counts {
        let mut best = f64::MAX;
        let mut invalid = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let reports = mva::validate_files(&all, threads);
            best = best.min(t.elapsed().as_secs_f64());
            invalid = reports.iter().filter(|(_, r)| !r.is_valid()).count();
        }
        println!(
            "mva::validate_files threads={threads}: {:.3} s, {:.0} files/s ({invalid} invalid)",
            best,
            n as f64 / best
        );
        ours.push(best);
    }

    let xsd = std::env::temp_dir().join(format!("bench-mva-{}.xsd", std::process::id()));
    std::fs::write(&xsd, mva::schema::SchemaKind::Return.xsd()).expect("cannot write the schema");
    let mut secs = f64::MAX;
    let mut status = None;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let s = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(&xsd)
            .args(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        secs = secs.min(t.elapsed().as_secs_f64());
        status = Some(s);
    }
    let status = status.expect("at least one round");
    let _ = std::fs::remove_file(&xsd);
    match status {
        Ok(_) => {
            println!(
                "xmllint --noout --schema (1 process, 1 thread): {:.3} s, {:.0} files/s",
                secs,
                n as f64 / secs
            );
            println!(
                "speed-up vs xmllint: {:.2}x with 1 thread, {:.2}x with 2 threads",
                secs / ours[0],
                secs / ours[1]
            );
            println!("speed-up 2 threads vs 1: {:.2}x", ours[0] / ours[1]);
        }
        Err(e) => println!("xmllint not run: {e} (Debian package libxml2-utils)"),
    }
}
