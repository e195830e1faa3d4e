//! `mva submit FILE --org ORGNR`: validate locally, then file through Altinn 3 with a journal that makes a re-run
//! resume (never file twice), wait for the feedback and save the receipt.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::SubmitArgs;
use crate::commands::vat;
use crate::exit;
use crate::output;
use crate::settings::{self, ProfileSettings};

/// Files the return.
pub async fn run(ctx: &ProfileSettings, args: SubmitArgs) -> Result<u8> {
    let org: mva::OrganisationNumber = args.org.parse()?;
    let return_xml = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let attachments = args
        .attachments
        .iter()
        .map(|p| mva::Attachment::from_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    let built = match &args.envelope {
        Some(path) => {
            let envelope =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            mva::Submission::with_envelope(return_xml, envelope, attachments)
        }
        None => mva::Submission::build(return_xml, attachments, &envelope_options()),
    };
    let submission = match built {
        Ok(s) => s,
        Err(mva::MvaError::InvalidDocument { what, findings }) => {
            // The same lines as `mva validate` prints (an envelope built here has no file to name).
            let file = match what {
                "return" => Some(args.file.as_path()),
                _ => args.envelope.as_deref(),
            };
            for f in &findings {
                match file {
                    Some(path) => eprintln!("{}", f.in_file(path)),
                    None => eprintln!("{f}"),
                }
            }
            eprintln!(
                "mva: the {what} is not valid ({} finding(s) above); nothing was sent",
                findings.len()
            );
            return Ok(exit::FINDINGS);
        }
        Err(e) => return Err(e.into()),
    };
    if submission.organisation() != &org {
        bail!(
            "the return is for organisation {}, not {org}; check --org and the return's <organisasjonsnummer>",
            submission.organisation()
        );
    }
    let provider = settings::provider(ctx, &args.provider)?;
    let endpoints = vat::endpoints(ctx, &provider, &args.services)?;
    let client = mva::MvaClient::new(endpoints, vat::SessionTokens::new(ctx, &provider))?;
    let mut options = mva::SubmitOptions::new(
        ctx.home.join("journal"),
        args.out.clone().unwrap_or_else(|| ".".into()),
    );
    options.force_new = args.force_new;
    if !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        bail!("--poll-interval must be a positive number of seconds");
    }
    options.poll_interval = std::time::Duration::from_secs_f64(args.poll_interval);
    options.checkpoints = pause_hook_from_env()?;
    let outcome = submit_with_progress(&client, &submission, &options).await?;
    report(&outcome, args.json)?;
    Ok(exit::SUCCESS)
}

/// TEST ONLY: the environment variable naming a checkpoint (`exchanged`, `instance-created`, `filled-in:unrecorded`,
/// ...; see `mva::submission::checkpoint`) at which `mva submit` stops: it prints `PAUSED <checkpoint>` on stderr and
/// waits to be killed. The crash tests use it to kill a submission at an exact step. Never set it in normal use.
pub const PAUSE_ENV: &str = "MVA_SUBMIT_PAUSE_AT";

/// Stops a submission at one checkpoint (through the library's checkpoint seam; the library itself never waits).
struct PauseAt(mva::submission::Checkpoint);

impl mva::submission::CheckpointHook for PauseAt {
    fn reached(&self, at: mva::submission::Checkpoint) -> mva::submission::CheckpointFuture<'_> {
        Box::pin(async move {
            if at == self.0 {
                eprintln!("PAUSED {at}");
                std::future::pending::<()>().await;
            }
        })
    }
}

/// The pause hook [`PAUSE_ENV`] asks for, if any.
fn pause_hook_from_env() -> Result<Option<Arc<dyn mva::submission::CheckpointHook>>> {
    match std::env::var(PAUSE_ENV) {
        Ok(name) => {
            let at = name
                .parse()
                .map_err(|e: String| anyhow::anyhow!("{PAUSE_ENV}: {e}"))?;
            Ok(Some(Arc::new(PauseAt(at))))
        }
        Err(_) => Ok(None),
    }
}

/// Who and when, for the envelope (opprettetAv, opprettingstidspunkt).
pub fn envelope_options() -> mva::EnvelopeOptions {
    mva::EnvelopeOptions {
        created_by: format!("mva {}", env!("CARGO_PKG_VERSION")),
        created_at: time::OffsetDateTime::now_utc(),
    }
}

/// Runs the submission with a spinner on stderr that names each step.
pub async fn submit_with_progress(
    client: &mva::MvaClient,
    submission: &mva::Submission,
    options: &mva::SubmitOptions,
) -> Result<mva::SubmitOutcome> {
    let bar = output::spinner("Submitting");
    let mut on_progress = |p: mva::Progress| {
        use mva::Progress as P;
        match p {
            P::WaitingForOtherSubmission => output::say(
                &bar,
                "Another `mva submit` of this return is running; waiting for it to finish (it will not be filed twice)",
            ),
            P::Resuming { instance } => output::say(
                &bar,
                match instance {
                    Some(i) => format!("Resuming the submission of instance {i} where it stopped"),
                    None => "Resuming an interrupted submission".into(),
                },
            ),
            P::AlreadySubmitted { instance } => output::say(
                &bar,
                format!("This return was already submitted as instance {instance}; not sent again"),
            ),
            P::Exchanged => bar.set_message("Exchanged the ID-porten token for an Altinn token"),
            P::InstanceCreated(i) => output::say(&bar, format!("Created instance {i}")),
            P::EnvelopeUploaded => output::say(&bar, "Uploaded the envelope"),
            P::ReturnUploaded => output::say(&bar, "Uploaded the return"),
            P::AttachmentUploaded(name) => output::say(&bar, format!("Uploaded attachment {name}")),
            P::FilledIn => output::say(&bar, "Filled in (process step 1 of 2)"),
            P::Submitted => output::say(&bar, "Submitted (process step 2 of 2)"),
            P::Waiting(elapsed) => bar.set_message(format!(
                "Waiting for the Tax Administration's feedback ({})",
                output::duration(elapsed.as_secs())
            )),
            P::FeedbackSaved(dir) => {
                output::say(&bar, format!("Feedback saved in {}", dir.display()))
            }
        }
    };
    let outcome = client.submit(submission, options, &mut on_progress).await;
    bar.finish_and_clear();
    Ok(outcome?)
}

#[derive(Serialize)]
struct SubmitReport<'a> {
    instance: String,
    already_submitted: bool,
    substatus: Option<&'a str>,
    amount: Option<String>,
    kid: Option<&'a str>,
    due_date: Option<&'a str>,
    account: Option<&'a str>,
    files: &'a [PathBuf],
}

/// Prints the outcome: status, what to pay or get back, KID, due date, files.
pub fn report(outcome: &mva::SubmitOutcome, json: bool) -> Result<()> {
    let f = &outcome.feedback;
    let pay = f.payment.as_ref();
    if json {
        return output::json(&SubmitReport {
            instance: outcome.instance.to_string(),
            already_submitted: outcome.already_submitted,
            substatus: f.substatus.as_deref(),
            amount: pay.map(|p| p.amount()),
            kid: pay.map(|p| p.kid.as_str()),
            due_date: pay.map(|p| p.due_date.as_str()),
            account: pay.map(|p| p.account.as_str()),
            files: &f.files,
        });
    }
    println!("instance    {}", outcome.instance);
    println!(
        "status      {}",
        f.substatus.as_deref().unwrap_or("(no status yet)")
    );
    if let Some(d) = &f.substatus_description {
        println!("            {d}");
    }
    if let Some(p) = pay {
        if p.amount_ore >= 0 {
            println!("to pay      NOK {}", p.amount());
            println!("KID         {}", p.kid);
            println!("account     {}", p.account);
            println!("due         {}", p.due_date);
        } else {
            println!("to get back NOK {}", p.amount().trim_start_matches('-'));
        }
    }
    for file in &f.files {
        println!("saved       {}", file.display());
    }
    Ok(())
}
