//! The session lock, within one process and across real processes.

use super::common::*;
use idporten_desktop::{BlockingTokenStore, Error, FileTokenStore};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_lock_excludes_a_second_holder_until_released() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(tmp.path().join("tokens"))
        .with_lock_timeout(Duration::from_millis(200));
    let held = store.lock(&key("default")).unwrap();
    assert_eq!(mode(held.path().unwrap()), 0o600);
    let started = Instant::now();
    let e = store.lock(&key("default")).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(matches!(e, Error::StoreLockTimeout { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains(&held.path().unwrap().display().to_string()),
        "{e}"
    );
    let other = store.lock(&key("other")).unwrap();
    drop(other);
    drop(held);
    store.lock(&key("default")).unwrap();
}

/// The helper process of the cross-process test: takes the lock in `$LOCK_HOLDER_DIR`, says `LOCKED`, and holds the
/// lock until its standard input closes. Ignored in normal runs; started by the test below.
#[test]
#[ignore = "helper process for the cross-process lock test, started by it"]
fn lock_holder_process() {
    let dir = PathBuf::from(std::env::var("LOCK_HOLDER_DIR").expect("started by the lock test"));
    let lock = FileTokenStore::new(dir).lock(&key("default")).unwrap();
    println!("\nLOCKED");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(lock);
}

#[test]
fn the_lock_holds_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock::lock_holder_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOCK_HOLDER_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim_end() != "LOCKED" {
        line.clear();
        assert_ne!(
            out.read_line(&mut line).unwrap(),
            0,
            "the helper process ended without taking the lock"
        );
    }
    // Held by the other process: a short wait times out.
    let store = FileTokenStore::new(dir.clone()).with_lock_timeout(Duration::from_millis(300));
    let e = store.lock(&key("default")).unwrap_err();
    assert!(
        matches!(e, Error::StoreLockTimeout { after, .. } if after == Duration::from_millis(300)),
        "{e:?}"
    );
    // A longer wait gets the lock once the other process lets go (here: 500 ms later).
    let waiter = std::thread::spawn(move || {
        let started = Instant::now();
        let lock = FileTokenStore::new(dir)
            .with_lock_timeout(Duration::from_secs(20))
            .lock(&key("default"));
        (lock.map(|_| ()), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !waiter.is_finished(),
        "the lock was granted while another process held it"
    );
    drop(child.stdin.take()); // the helper process releases and ends
    let (result, waited) = waiter.join().unwrap();
    result.unwrap();
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(child.wait().unwrap().success());
}
