//! The checkpoint seam: the flow calls the hook at each checkpoint in order, and a submission stopped at any of them
//! (its future dropped, as a crash would end it) is finished by the next run, filed exactly once.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use mva::submission::{Checkpoint, CheckpointFuture, CheckpointHook};
use mva::Submission;

use crate::common::*;
use crate::submission::client;

const ORDER: [&str; 13] = [
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

#[derive(Default)]
struct Record(Mutex<Vec<String>>);

impl CheckpointHook for Record {
    fn reached(&self, at: Checkpoint) -> CheckpointFuture<'_> {
        self.0.lock().unwrap().push(at.to_string());
        Box::pin(async {})
    }
}

/// Stops the flow at one checkpoint for ever, after saying so.
struct StopAt(Checkpoint, Arc<tokio::sync::Notify>);

impl CheckpointHook for StopAt {
    fn reached(&self, at: Checkpoint) -> CheckpointFuture<'_> {
        Box::pin(async move {
            if at == self.0 {
                self.1.notify_one();
                std::future::pending::<()>().await;
            }
        })
    }
}

fn filed(sim: &TestSim) -> usize {
    sim.services
        .instances()
        .iter()
        .filter(|i| i.org == ORG && i.feedback_at.is_some())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_sees_every_checkpoint_in_order() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim, ScriptedTokens::new(sim.verifier.clone(), KARI, 3600));
    let sub = Submission::build(
        return_for(ORG, "checkpoints"),
        vec![pdf_attachment("bilag.pdf")],
        &envelope_options(),
    )
    .unwrap();
    let record = Arc::new(Record::default());
    let mut o = options(dir.path());
    o.checkpoints = Some(record.clone());
    c.submit(&sub, &o, &mut |_| {}).await.unwrap();
    assert_eq!(*record.0.lock().unwrap(), ORDER);
    for name in ORDER {
        assert_eq!(Checkpoint::from_str(name).unwrap().to_string(), name);
    }
    sim.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_at_any_checkpoint_the_next_run_files_exactly_once() {
    let sim = start(0).await;
    let c = client(&sim, ScriptedTokens::new(sim.verifier.clone(), KARI, 3600));
    for (i, name) in ORDER.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let sub = Submission::build(
            return_for(ORG, &format!("stop-{i}")),
            vec![pdf_attachment("bilag.pdf")],
            &envelope_options(),
        )
        .unwrap();
        let before = filed(&sim);
        let reached = Arc::new(tokio::sync::Notify::new());
        let mut o = options(dir.path());
        o.checkpoints = Some(Arc::new(StopAt(name.parse().unwrap(), reached.clone())));
        let mut quiet = |_| {};
        tokio::select! {
            r = c.submit(&sub, &o, &mut quiet) => panic!("finished without stopping at {name}: {r:?}"),
            _ = reached.notified() => {}
        }
        let out = c
            .submit(&sub, &options(dir.path()), &mut |_| {})
            .await
            .unwrap_or_else(|e| panic!("after a stop at {name}: {e}"));
        assert_eq!(
            out.feedback.substatus.as_deref(),
            Some("Godkjent"),
            "{name}"
        );
        assert_eq!(filed(&sim), before + 1, "filed once after a stop at {name}");
    }
    sim.stop();
}
