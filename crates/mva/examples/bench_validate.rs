//! Local validation throughput (files/s) on 1 and 2 threads, side by side with `xmllint --noout --schema`
//! validating the same files in one process (one core). The three are run in turn, ROUNDS times (interleaved, so
//! a change in the machine's load hits all three alike); the medians are printed, with the ratios to xmllint.
//!
//! ```text
//! cargo run --release -p mva --example bench_validate -- [DIR] [REPEAT] [ROUNDS]
//! ```
//! DIR defaults to the published examples kept in the crate (testdata/mva-meldingen/examples/melding); each file
//! is validated REPEAT times per run (default 30); ROUNDS defaults to 7. BENCH_THREADS=1,2 picks the thread counts.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/mva-meldingen/examples/melding")
    });
    let repeat: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(30);
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(7);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cannot read the folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let all: Vec<PathBuf> = (0..repeat).flat_map(|_| files.iter().cloned()).collect();
    let n = all.len();
    let threads: Vec<usize> = match std::env::var("BENCH_THREADS") {
        Ok(v) => v.split(',').filter_map(|t| t.trim().parse().ok()).collect(),
        Err(_) => vec![1, 2],
    };
    println!(
        "{} files x {repeat} = {n} validations per run, {rounds} interleaved rounds, {} cores, load average {}",
        files.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let xsd = std::env::temp_dir().join(format!("bench-mva-{}.xsd", std::process::id()));
    std::fs::write(&xsd, mva::schema::SchemaKind::Return.xsd()).expect("cannot write the schema");
    let xmllint = || {
        Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(&xsd)
            .args(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    };
    if let Err(e) = xmllint() {
        println!("xmllint not run: {e} (Debian package libxml2-utils)");
        return;
    }
    // warm the page cache
    let _ = mva::validate_files(&files, 1);
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); threads.len()];
    let mut theirs = Vec::new();
    let mut invalid = 0;
    for _ in 0..rounds {
        for (k, &t) in threads.iter().enumerate() {
            let start = Instant::now();
            let reports = mva::validate_files(&all, t);
            ours[k].push(start.elapsed().as_secs_f64());
            invalid = reports.iter().filter(|(_, r)| !r.is_valid()).count();
        }
        let start = Instant::now();
        let _ = xmllint();
        theirs.push(start.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_file(&xsd);
    let xl = median(&mut theirs);
    println!("| validator | median time | files/s | vs xmllint |");
    println!("|---|---:|---:|---:|");
    let mut medians = Vec::new();
    for (k, &t) in threads.iter().enumerate() {
        let m = median(&mut ours[k]);
        medians.push(m);
        println!(
            "| `mva::validate_files`, {t} thread{} | {:.4} s | {:.0} | {:.2}x |",
            if t == 1 { "" } else { "s" },
            m,
            n as f64 / m,
            xl / m
        );
    }
    println!(
        "| `xmllint --noout --schema`, one process | {:.4} s | {:.0} | 1.00x |",
        xl,
        n as f64 / xl
    );
    println!("({invalid} of {n} validations found the document invalid, as xmllint does: the examples include two invalid ones)");
    if medians.len() >= 2 {
        println!(
            "speed-up {} threads vs 1: {:.2}x",
            threads[1],
            medians[0] / medians[1]
        );
    }
}
