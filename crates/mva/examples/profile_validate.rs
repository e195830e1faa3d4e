//! Validates the files of a folder REPEAT times on one thread, for instruction counting under
//! `valgrind --tool=callgrind` (repeatable on a loaded machine, unlike wall-clock time).
//!
//! ```text
//! cargo build --release -p mva --example profile_validate
//! valgrind --tool=callgrind target/release/examples/profile_validate [DIR] [REPEAT]
//! ```

use std::path::PathBuf;

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
    let mut invalid = 0;
    for _ in 0..repeat {
        for f in &files {
            if !mva::validate_file(f).is_valid() {
                invalid += 1;
            }
        }
    }
    println!("{} validations, {invalid} invalid", files.len() * repeat);
}
