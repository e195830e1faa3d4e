//! Snapshots of what users read, as plain text files in `crates/cli/tests/snapshots/`, so that a change to a help
//! text or an error message shows up as a diff in review. To accept a change:
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test -p mva-cli --test e2e what_users_read
//! git diff crates/cli/tests/snapshots/
//! ```

use std::path::PathBuf;

/// The folder of the snapshot files.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compares `actual` with the snapshot `NAME.txt`; with `UPDATE_SNAPSHOTS=1`, writes it instead.
#[track_caller]
pub fn check(name: &str, actual: &str) {
    let path = dir().join(format!("{name}.txt"));
    if updating() {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(actual) {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, actual).unwrap();
        }
        return;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        panic!(
            "no snapshot {}: run UPDATE_SNAPSHOTS=1 cargo test -p mva-cli --test e2e what_users_read, then review \
             and commit the new file\n--- what the test saw\n{actual}",
            path.display()
        );
    };
    if expected != actual {
        panic!(
            "{} differs from what users now read (accept with UPDATE_SNAPSHOTS=1 ...; see snapshot.rs)\n{}",
            path.display(),
            line_diff(&expected, actual)
        );
    }
}

/// The lines that differ, `-` for the snapshot's and `+` for the new ones, with their line numbers.
fn line_diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..old.len().max(new.len()) {
        let (a, b) = (old.get(i), new.get(i));
        if a != b {
            if let Some(a) = a {
                out.push_str(&format!("{:>4} - {a}\n", i + 1));
            }
            if let Some(b) = b {
                out.push_str(&format!("{:>4} + {b}\n", i + 1));
            }
        }
    }
    if out.is_empty() {
        out.push_str("(only line endings or a final newline differ)\n");
    }
    out
}
