//! Validates one file through the library with explicit limits, for measuring how time and memory grow with the
//! document (`/usr/bin/time -v` around it). The product's limits are 25 MB and 200 000 elements; a return of
//! 100 000 specification lines has 400 000 elements, so the limits are given here, explicitly.
//!
//! ```text
//! cargo run --release -p mva --example validate_one -- FILE [MAX_BYTES] [MAX_ELEMENTS] [TIMES]
//! ```
//! TIMES (default 1) validates the file that many times, one after the other (to time small files).

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .expect("usage: validate_one FILE [MAX_BYTES] [MAX_ELEMENTS]");
    let defaults = mva::Limits::default();
    let limits = mva::Limits {
        max_bytes: args
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or(defaults.max_bytes),
        max_elements: args
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or(defaults.max_elements),
    };
    let times: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let bytes = std::fs::read(&file).expect("cannot read the file");
    let mut report = mva::validate_with(&bytes, limits);
    for _ in 1..times {
        report = mva::validate_with(&bytes, limits);
    }
    println!(
        "{file}: {} bytes, valid {}, {} findings{}",
        bytes.len(),
        report.is_valid(),
        report.findings.len(),
        report
            .findings
            .first()
            .map(|f| format!(" (first: {f})"))
            .unwrap_or_default()
    );
}
