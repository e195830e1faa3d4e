//! Files a VAT return: a small command used by the crash-safety tests and as an example of the library.
//!
//! ```text
//! cargo run -p mva --example submit -- --base http://127.0.0.1:8990/ --token-file TOKEN_FILE \
//!     --journal DIR --out DIR --return mva-melding.xml [--attach FILE]...
//! ```
//!
//! `--base` is the simulator (use `--env test` for tt02). The token is read from a file (never from the command
//! line, where other users can see it). Set `MVA_SUBMIT_PAUSE_AT=<checkpoint>` (TEST ONLY, e.g. `filled-in` or
//! `filled-in:unrecorded`) to stop there: the example's checkpoint hook prints `PAUSED <checkpoint>` on stderr and
//! waits for ever, so a test can kill it at that exact point.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use mva::submission::{Checkpoint, CheckpointFuture, CheckpointHook};
use mva::{
    AccessToken, Attachment, Endpoints, EnvelopeOptions, MvaClient, StaticToken, Submission,
    SubmitOptions,
};

/// Stops the submission at one checkpoint: says so on stderr and never returns (the test kills the process).
struct PauseAt(Checkpoint);

impl CheckpointHook for PauseAt {
    fn reached(&self, at: Checkpoint) -> CheckpointFuture<'_> {
        Box::pin(async move {
            if at == self.0 {
                eprintln!("PAUSED {at}");
                std::future::pending::<()>().await;
            }
        })
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: submit (--base URL | --env test|prod) --token-file FILE --journal DIR --out DIR --return FILE [--attach FILE]...");
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut endpoints, mut token, mut journal, mut out, mut ret) = (None, None, None, None, None);
    let mut attach = Vec::new();
    while let Some(a) = args.next() {
        let v = match args.next() {
            Some(v) => v,
            None => return usage(),
        };
        match a.as_str() {
            "--base" => match v.parse() {
                Ok(u) => endpoints = Some(Endpoints::sim(&u)),
                Err(_) => return usage(),
            },
            "--env" if v == "test" => endpoints = Some(Endpoints::test()),
            "--env" if v == "prod" => endpoints = Some(Endpoints::prod()),
            "--token-file" => {
                token = std::fs::read_to_string(&v)
                    .ok()
                    .map(|t| t.trim().to_string())
            }
            "--journal" => journal = Some(PathBuf::from(v)),
            "--out" => out = Some(PathBuf::from(v)),
            "--return" => ret = Some(PathBuf::from(v)),
            "--attach" => attach.push(PathBuf::from(v)),
            _ => return usage(),
        }
    }
    let (Some(endpoints), Some(token), Some(journal), Some(out), Some(ret)) =
        (endpoints, token, journal, out, ret)
    else {
        return usage();
    };
    match run(endpoints, token, journal, out, ret, attach).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    endpoints: Endpoints,
    token: String,
    journal: PathBuf,
    out: PathBuf,
    ret: PathBuf,
    attach: Vec<PathBuf>,
) -> Result<(), mva::MvaError> {
    let return_xml = std::fs::read(&ret).map_err(|source| mva::MvaError::Io {
        action: "cannot read",
        path: ret.clone(),
        source,
    })?;
    let attachments = attach
        .iter()
        .map(|p| Attachment::from_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    let client = MvaClient::new(endpoints, Arc::new(StaticToken(AccessToken::new(token))))?;
    // A new creation time on every run: the journal key ignores the envelope's timestamps, so a rerun resumes.
    let created_at = time::OffsetDateTime::now_utc();
    let sub = Submission::build(
        return_xml,
        attachments,
        &EnvelopeOptions {
            created_by: "mva example".into(),
            created_at,
        },
    )?;
    let mut options = SubmitOptions::new(journal, out);
    options.poll_interval = Duration::from_millis(200);
    options.feedback_timeout = Duration::from_secs(30);
    if let Ok(at) = std::env::var("MVA_SUBMIT_PAUSE_AT") {
        let at: Checkpoint = at.parse().map_err(|detail| mva::MvaError::Protocol {
            step: "MVA_SUBMIT_PAUSE_AT",
            detail,
        })?;
        options.checkpoints = Some(Arc::new(PauseAt(at)));
    }
    let outcome = client
        .submit(&sub, &options, &mut |p| eprintln!("progress: {p:?}"))
        .await?;
    println!("instance {}", outcome.instance);
    println!("already submitted: {}", outcome.already_submitted);
    println!(
        "substatus: {}",
        outcome.feedback.substatus.as_deref().unwrap_or("-")
    );
    if let Some(p) = &outcome.feedback.payment {
        println!(
            "amount: {} NOK, KID {}, due {}",
            p.amount(),
            p.kid,
            p.due_date
        );
    }
    println!("requests: {}", client.request_count());
    Ok(())
}
