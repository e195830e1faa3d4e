//! Crash safety: the example binary is killed at each step and run again; exactly one filing, nothing lost.
//! Also across a restart of the simulator's VAT services with persisted state.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;

/// The example's test hook: pause at this checkpoint (see examples/submit.rs).
const PAUSE_ENV: &str = "MVA_SUBMIT_PAUSE_AT";

/// The example binary, built on first use into the same target folder (cargo does not build examples for
/// `cargo test --test suite`).
fn example_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            // target/debug/deps/suite-xxx -> target/debug/examples/submit
            let exe = std::env::current_exe().unwrap();
            let profile_dir = exe.parent().unwrap().parent().unwrap();
            let target = profile_dir.parent().unwrap();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "-q", "-p", "mva", "--example", "submit"])
                .env("CARGO_TARGET_DIR", target);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            let status = cmd.status().unwrap();
            assert!(status.success(), "cannot build the example");
            let bin = profile_dir.join("examples").join("submit");
            assert!(bin.exists(), "{}", bin.display());
            bin
        })
        .clone()
}

struct Files {
    token: PathBuf,
    ret: PathBuf,
    att: PathBuf,
    journal: PathBuf,
    out: PathBuf,
}

fn files(dir: &Path, token: &str, reference: &str) -> Files {
    let f = Files {
        token: dir.join("token"),
        ret: dir.join("mva-melding.xml"),
        att: dir.join("bilag.pdf"),
        journal: dir.join("journal"),
        out: dir.join("out"),
    };
    std::fs::write(&f.token, token).unwrap();
    std::fs::write(&f.ret, return_for(ORG, reference)).unwrap();
    std::fs::write(&f.att, b"%PDF-1.4\n%%EOF\n").unwrap();
    f
}

fn spawn(base: &url::Url, f: &Files, pause: Option<&str>) -> Child {
    let mut c = Command::new(example_binary());
    c.arg("--base").arg(base.as_str());
    c.arg("--token-file")
        .arg(&f.token)
        .arg("--journal")
        .arg(&f.journal)
        .arg("--out")
        .arg(&f.out);
    c.arg("--return").arg(&f.ret).arg("--attach").arg(&f.att);
    c.env_remove(PAUSE_ENV);
    if let Some(p) = pause {
        c.env(PAUSE_ENV, p);
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (off the async runtime) for `PAUSED <step>` on stderr, then kills the process.
fn kill_at(mut child: Child, step: &str) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let paused = line.starts_with("PAUSED ");
            seen.push(line);
            if paused {
                let _ = tx.send(Ok(seen.last().unwrap().clone()));
                return;
            }
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    let got = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("no pause within 60 s");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        got.unwrap_or_else(|e| panic!("process ended without pausing at {step}:\n{e}")),
        format!("PAUSED {step}")
    );
}

fn finish(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "second run failed:\n{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn check_one_filing(sim: &TestSim, step: &str, stdout: &str) {
    let all = sim.services.instances();
    let with_data: Vec<_> = all
        .iter()
        .filter(|i| i.data.iter().any(|d| d.data_type == "mvamelding"))
        .collect();
    assert_eq!(
        with_data.len(),
        1,
        "{step}: exactly one instance holds the return"
    );
    let inst = with_data[0];
    assert_eq!(
        inst.data
            .iter()
            .filter(|d| d.data_type == "mvamelding")
            .count(),
        1,
        "{step}"
    );
    assert_eq!(
        inst.data
            .iter()
            .filter(|d| d.data_type == "binaerVedlegg")
            .count(),
        1,
        "{step}"
    );
    assert!(inst.feedback_at.is_some(), "{step}: submitted");
    assert_eq!(
        all.iter().filter(|i| i.feedback_at.is_some()).count(),
        1,
        "{step}: one submission"
    );
    // Only a kill between the server creating the instance and the journal recording it can leave an extra,
    // empty instance (no data, never submitted): nothing is filed twice.
    let expected = if step == "instance-created:unrecorded" {
        2
    } else {
        1
    };
    assert_eq!(all.len(), expected, "{step}: instances");
    for other in all.iter().filter(|i| i.id != inst.id) {
        assert!(
            other.data.iter().all(|d| d.bytes().is_empty()) && other.feedback_at.is_none(),
            "{step}: orphan is empty"
        );
    }
    assert!(stdout.contains("substatus: Godkjent"), "{step}: {stdout}");
    assert!(
        stdout.contains(&format!("instance {}", inst.id)),
        "{step}: {stdout}"
    );
}

const STEPS: [&str; 13] = [
    "exchanged",
    "instance-created:unrecorded",
    "instance-created",
    "envelope-uploaded:unrecorded",
    "envelope-uploaded",
    "return-uploaded:unrecorded",
    "return-uploaded",
    "attachments-uploaded",
    "filled-in:unrecorded",
    "filled-in",
    "submitted:unrecorded",
    "submitted",
    "feedback",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_then_run_again_files_exactly_once() {
    let started = Instant::now();
    for step in STEPS {
        let sim = start(0).await;
        let dir = tempfile::tempdir().unwrap();
        let token = sim.verifier.mint(KARI, SCOPES, 3600);
        let f = files(dir.path(), &token, step);
        let base = sim.base.clone();
        let child = spawn(&base, &f, Some(step));
        let s = step.to_string();
        tokio::task::spawn_blocking(move || kill_at(child, &s))
            .await
            .unwrap();
        let child = spawn(&base, &f, None);
        let stdout = tokio::task::spawn_blocking(move || finish(child))
            .await
            .unwrap();
        check_one_filing(&sim, step, &stdout);
        if step == "submitted" || step == "feedback" || step == "submitted:unrecorded" {
            // the second run must not have sent the return again
            assert!(
                stdout.contains("already submitted: true") || step == "submitted:unrecorded",
                "{step}: {stdout}"
            );
        }
        // a third run reports, sends nothing, files nothing
        let child = spawn(&base, &f, None);
        let stdout = tokio::task::spawn_blocking(move || finish(child))
            .await
            .unwrap();
        assert!(
            stdout.contains("already submitted: true") && stdout.contains("requests: 0"),
            "{step}: {stdout}"
        );
        check_one_filing(&sim, step, &stdout);
        sim.stop();
    }
    println!(
        "MEASURE crash test: {} steps in {:?}",
        STEPS.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_restart_with_persisted_state_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mva-state.json");
    let verifier = Arc::new(TestVerifier::default());
    let sim = start_with(config(0, Some(state.clone())), verifier.clone()).await;
    let token = verifier.mint(KARI, SCOPES, 3600);
    let f = files(dir.path(), &token, "restart");
    let child = spawn(&sim.base, &f, Some("return-uploaded"));
    tokio::task::spawn_blocking(move || kill_at(child, "return-uploaded"))
        .await
        .unwrap();
    let before = sim.services.instances();
    assert_eq!(before.len(), 1);
    sim.stop();
    assert!(state.exists());
    // a new process of the services: new port, new signing secret, same state file
    let sim2 = start_with(config(0, Some(state.clone())), verifier.clone()).await;
    assert_eq!(
        sim2.services.instances().len(),
        1,
        "instances survive the restart"
    );
    let base = sim2.base.clone();
    let child = spawn(&base, &f, None);
    let stdout = tokio::task::spawn_blocking(move || finish(child))
        .await
        .unwrap();
    check_one_filing(&sim2, "restart", &stdout);
    assert_eq!(sim2.services.instances()[0].id, before[0].id);
}
