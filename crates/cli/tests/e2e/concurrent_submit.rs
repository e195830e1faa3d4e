//! `mva submit` of the same return started several times at once: the journal entry's lock lets one process file
//! it; the others wait for it and then report the same filing. The simulator sees exactly one.

use std::process::Stdio;

use crate::harness::{repo_root, Sim, PERSON};
use crate::vat::logged_in;

/// The simulator's web client (`Home::web_client()` sends its secret).
const ORG: &str = "310000019";

/// Starts `n` `mva submit` of the same return at once and checks that all succeed with the same instance while
/// the simulator received one instance and one filing.
fn submit_at_once(n: usize) {
    let sim = Sim::start();
    let home = logged_in(&sim, PERSON);
    let file = home.dir.path().join("return.xml");
    let xml = std::fs::read_to_string(repo_root().join("crates/cli/assets/demo-mvamelding.xml"))
        .unwrap()
        .replace("mva-demo-1", &format!("concurrent-{n}"));
    std::fs::write(&file, xml).unwrap();
    let out = home.dir.path().join("out");
    let children: Vec<_> = (0..n)
        .map(|_| {
            home.mva(&[
                "submit",
                file.to_str().unwrap(),
                "--org",
                ORG,
                "--out",
                out.to_str().unwrap(),
                "--poll-interval",
                "0.2",
                "--json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let runs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut instances = Vec::new();
    let mut already = 0;
    for r in &runs {
        let (stdout, stderr) = (
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr),
        );
        assert_eq!(r.status.code(), Some(0), "stdout {stdout}\nstderr {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["substatus"], "Godkjent", "{stdout}");
        instances.push(v["instance"].as_str().unwrap().to_string());
        already += usize::from(v["already_submitted"] == true);
    }
    instances.sort();
    instances.dedup();
    assert_eq!(instances.len(), 1, "one instance for all: {instances:?}");
    assert_eq!(already, n - 1, "all but one report an earlier filing");
    assert_eq!(sim.instances_for(ORG), 1, "instances created");
    assert_eq!(sim.submitted_for(ORG), 1, "filings");
}

#[test]
fn two_submits_at_once_file_once() {
    submit_at_once(2);
}

#[test]
fn ten_submits_at_once_file_once() {
    submit_at_once(10);
}
