//! `POST /api/submissions` (file a return, in the background), `GET /api/submissions/{id}` (where it stands; a
//! submission that stopped with its process is resumed), `POST /api/submissions/{id}/resume` (try again after an
//! error), `GET /api/submissions/{id}/receipt` and `/payment` (the feedback files).
//!
//! The filing itself is the `mva` library's `MvaClient::submit`, run off the async runtime, with the session's
//! access token: its journal is locked per entry by the operating system, so a second request, a reload or another
//! instance sharing the data folder never files the same return twice. The Altinn token is exchanged once per
//! login and kept, sealed, in the session (`SessionTokens::keep_altinn_token`): the next submission, on any
//! instance, uses it while it has more than a minute left.

use super::errors::{invalid, mva_problem, FindingView};
use super::journal::{Folders, SubmissionId};
use super::tokens::SessionTokens;
use super::upload::Upload;
use super::{ApiSession, ApiState};
use crate::cookie::SessionRef;
use crate::routes::Problem;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mva::submission::journal::{EntryLock, Journal};
use mva::{EnvelopeOptions, MvaClient, MvaError, OrganisationNumber, Submission, SubmitOptions};
use serde::Serialize;
use std::sync::Arc;

/// The folders of a person's submissions for an organisation, found off the async workers (the data folder's key
/// is read, or made, on first use).
async fn folders_of(
    state: &ApiState,
    pid: &crate::types::Pid,
    organisation: &OrganisationNumber,
) -> Result<Folders, Problem> {
    let (data_dir, cell) = (state.config.data_dir.clone(), state.person_key.clone());
    let (pid, organisation) = (pid.clone(), organisation.clone());
    tokio::task::spawn_blocking(move || {
        let key = match cell.get() {
            Some(key) => key.clone(),
            None => {
                let key =
                    super::person_folder::PersonKey::load_or_create(&data_dir.join("persons"))?;
                cell.get_or_init(|| key).clone()
            }
        };
        Folders::locate(&data_dir, &key, &pid, &organisation)
    })
    .await
    .map_err(|_| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "could not find the submissions' folder",
        )
    })?
    .map_err(|e| mva_problem(&e))
}

fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such submission for this person",
    )
}

fn mva_error(e: MvaError) -> Response {
    match e {
        MvaError::InvalidDocument { what, findings } => {
            let source = if what == "return" {
                "local"
            } else {
                "envelope"
            };
            invalid(
                what,
                findings
                    .iter()
                    .map(|f| FindingView::new(source, f))
                    .collect(),
            )
        }
        e => mva_problem(&e).into_response(),
    }
}

pub(super) async fn create(
    State(state): State<ApiState>,
    ApiSession(session): ApiSession,
    form: Multipart,
) -> Result<Response, Problem> {
    let mut upload = Upload::read(form).await?;
    let typed = upload.organisation.take().unwrap_or_default();
    let organisation: OrganisationNumber = match typed.parse() {
        Ok(org) => org,
        Err(e) => return Ok(mva_error(e)),
    };
    let return_xml = upload.take_return()?;
    let envelope = upload.envelope_xml.take();
    let attachments = std::mem::take(&mut upload.attachments);
    let kept = attachments.clone();
    let built = tokio::task::spawn_blocking(move || match envelope {
        Some(envelope) => Submission::with_envelope(return_xml, envelope, attachments),
        None => {
            let options = EnvelopeOptions {
                created_by: "mva serve".into(),
                created_at: time::OffsetDateTime::now_utc(),
            };
            Submission::build(return_xml, attachments, &options)
        }
    })
    .await
    .map_err(|_| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the check stopped unexpectedly",
        )
    })?;
    let submission = match built {
        Ok(s) => s,
        Err(e) => return Ok(mva_error(e)),
    };
    if submission.organisation() != &organisation {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "organisation_mismatch",
            format!(
                "the return is for organisation {}, not {}; check the number or the file",
                submission.organisation().as_str(),
                organisation.as_str()
            ),
        ));
    }
    let id = SubmissionId {
        organisation,
        key: submission.key().to_owned(),
    };
    let folders = folders_of(&state, &session.data.identity.pid, &id.organisation).await?;
    let key = id.key.clone();
    let keep = folders.clone();
    tokio::task::spawn_blocking(move || keep.keep_attachments(&key, &kept))
        .await
        .map_err(|_| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "could not keep the attachments",
            )
        })?
        .map_err(|e| mva_problem(&e))?;
    start(
        &state,
        session.reference().clone(),
        folders,
        id.clone(),
        Some(submission),
    );
    let body = serde_json::json!({ "id": id.to_string() });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// A submission in the running set: its journal entry (ids alone are not unique: two persons may file the same
/// return for one organisation, each in their own journal).
fn running_key(folders: &Folders, id: &SubmissionId) -> String {
    folders
        .journal()
        .join(&id.key)
        .to_string_lossy()
        .into_owned()
}

/// Removes a submission from the running set when its task ends, even by a panic.
struct Running {
    set: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    id: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut set) = self.set.lock() {
            set.remove(&self.id);
        }
    }
}

/// Starts (or resumes, with `None`) a submission in the background unless this process already runs it. The
/// library's entry lock makes a second process wait and then find the filing, never file again.
fn start(
    state: &ApiState,
    session: SessionRef,
    folders: Folders,
    id: SubmissionId,
    submission: Option<Submission>,
) {
    let name = running_key(&folders, &id);
    {
        let Ok(mut set) = state.running.lock() else {
            return;
        };
        if !set.insert(name.clone()) {
            return;
        }
    }
    let running = Running {
        set: state.running.clone(),
        id: name,
    };
    let config = state.config.clone();
    let tokens = Arc::new(SessionTokens {
        hook: state.tokens.clone(),
        sessions: state.web.sessions.clone(),
        session,
    });
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _running = running;
        folders.set_error(&id.key, None);
        let result = handle.block_on(async {
            let client = MvaClient::new(config.endpoints.clone(), tokens)?;
            let mut options = SubmitOptions::new(folders.journal(), folders.output());
            options.poll_interval = config.poll_interval;
            options.feedback_timeout = config.feedback_timeout;
            let mut progress = |p: mva::Progress| {
                tracing::debug!("submission {}: {p:?}", id.organisation.as_str())
            };
            match submission {
                Some(s) => client.submit(&s, &options, &mut progress).await,
                None => {
                    let attachments = folders.kept_attachments(&id.key)?;
                    client
                        .resume(&id.key, attachments, &options, &mut progress)
                        .await
                }
            }
        });
        if let Err(e) = result {
            tracing::warn!("submission for {} stopped: {e}", id.organisation.as_str());
            folders.set_error(&id.key, Some(&mva_problem(&e).message));
        }
    });
}

/// The payment information, as the page shows it.
#[derive(Debug, Serialize)]
pub(super) struct PaymentView {
    reference: String,
    kid: String,
    /// Decimal kroner: positive to pay, negative to get back.
    amount: String,
    due_date: String,
    account: String,
    pay_to: String,
}

#[derive(Debug, Serialize)]
pub(super) struct FeedbackView {
    substatus: Option<String>,
    substatus_description: Option<String>,
    archived: bool,
    payment: Option<PaymentView>,
    verdict: Option<String>,
    findings: Vec<FindingView>,
    receipt: bool,
}

/// Where a submission stands.
#[derive(Debug, Serialize)]
pub(super) struct StatusView {
    id: String,
    organisation: String,
    instance: Option<String>,
    /// `running`, `done` or `failed`.
    state: &'static str,
    instance_created: bool,
    uploaded: bool,
    submitted: bool,
    error: Option<String>,
    feedback: Option<FeedbackView>,
}

fn view(id: &SubmissionId, j: &Journal, error: Option<String>) -> StatusView {
    let feedback = j.feedback.as_ref().map(|fb| FeedbackView {
        substatus: fb.substatus.clone(),
        substatus_description: fb.substatus_description.clone(),
        archived: fb.archived,
        payment: fb.payment.as_ref().map(|p| PaymentView {
            reference: p.reference.clone(),
            kid: p.kid.clone(),
            amount: p.amount(),
            due_date: p.due_date.clone(),
            account: p.account.clone(),
            pay_to: p.pay_to.clone(),
        }),
        verdict: fb.validation.as_ref().map(|v| v.verdict.v1().to_owned()),
        findings: fb
            .validation
            .iter()
            .flat_map(|v| v.findings.iter().map(|f| FindingView::new("service", f)))
            .collect(),
        receipt: fb.files.iter().any(|f| f.ends_with("kvittering.pdf")),
    });
    let state = match (&feedback, &error) {
        (Some(_), _) => "done",
        (None, Some(_)) => "failed",
        (None, None) => "running",
    };
    StatusView {
        id: id.to_string(),
        organisation: id.organisation.as_str().to_owned(),
        instance: j.instance.as_ref().map(|i| i.to_string()),
        state,
        instance_created: j.instance.is_some(),
        uploaded: j.envelope_uploaded && j.return_uploaded,
        submitted: j.submitted,
        error,
        feedback,
    }
}

/// A submission as found on disk for this session's person.
struct Loaded {
    id: SubmissionId,
    folders: Folders,
    /// `None` when the submission was accepted but its journal is not started yet (or never was: see [`status`]).
    journal: Option<Journal>,
    /// Why it stopped, if it did.
    error: Option<String>,
    /// When it was accepted.
    accepted: Option<std::time::SystemTime>,
    /// Whether some process holds the journal entry's lock (a submission of it is running there).
    locked: bool,
}

/// The submission `raw` of this session's person, read off the async runtime; 404 when there is none.
async fn load(state: &ApiState, session: &crate::Session, raw: &str) -> Result<Loaded, Problem> {
    let id = SubmissionId::parse(raw).ok_or_else(not_found)?;
    let folders = folders_of(state, &session.data.identity.pid, &id.organisation).await?;
    let (f, key) = (folders.clone(), id.key.clone());
    let (journal, error, accepted, locked) = tokio::task::spawn_blocking(move || {
        let accepted = f.accepted_at(&key);
        let journal = f.open(&key);
        let present = accepted.is_some() || matches!(journal, Ok(Some(_)));
        // Only look at the lock of an entry that exists (looking creates the journal folder).
        let locked = present && matches!(EntryLock::try_acquire(&f.journal(), &key), Ok(None));
        (journal, f.error(&key), accepted, locked)
    })
    .await
    .map_err(|_| not_found())?;
    let journal = journal.map_err(|e| mva_problem(&e))?.map(|j| j.state);
    if journal.is_none() && accepted.is_none() {
        return Err(not_found());
    }
    Ok(Loaded {
        id,
        folders,
        journal,
        error,
        accepted,
        locked,
    })
}

/// How long an accepted submission may take to start its journal before it counts as stopped.
const START_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

pub(super) async fn status(
    State(state): State<ApiState>,
    ApiSession(session): ApiSession,
    Path(raw): Path<String>,
) -> Result<Json<StatusView>, Problem> {
    let Loaded {
        id,
        folders,
        journal,
        mut error,
        accepted,
        locked,
    } = load(&state, &session, &raw).await?;
    let here = state
        .running
        .lock()
        .is_ok_and(|set| set.contains(&running_key(&folders, &id)));
    let busy = here || locked;
    let journal = match journal {
        Some(j) => {
            if j.feedback.is_none() && error.is_none() && !busy {
                // Nobody runs it: its process stopped (a restart, a crash). Resume it from the journal.
                start(
                    &state,
                    session.reference().clone(),
                    folders,
                    id.clone(),
                    None,
                );
            }
            j
        }
        None => {
            let young = accepted
                // A time in the future (a clock step) counts as just now.
                .is_some_and(|t| t.elapsed().map_or(true, |age| age < START_GRACE));
            if error.is_none() && !busy && !young {
                // Accepted, but its process stopped before the journal began: nothing was sent.
                error = Some(
                    "the submission stopped before it began; nothing was sent. Submit it again"
                        .into(),
                );
            }
            Journal::default()
        }
    };
    Ok(Json(view(&id, &journal, error)))
}

pub(super) async fn resume(
    State(state): State<ApiState>,
    ApiSession(session): ApiSession,
    Path(raw): Path<String>,
) -> Result<Json<StatusView>, Problem> {
    let Loaded {
        id,
        folders,
        journal,
        ..
    } = load(&state, &session, &raw).await?;
    let journal = journal.ok_or_else(not_found)?;
    if journal.feedback.is_none() {
        start(
            &state,
            session.reference().clone(),
            folders,
            id.clone(),
            None,
        );
    }
    Ok(Json(view(&id, &journal, None)))
}

/// A feedback file of a finished submission.
async fn feedback_file(
    state: &ApiState,
    session: &crate::Session,
    raw: &str,
    name: &'static str,
    content_type: &'static str,
) -> Result<Response, Problem> {
    let Loaded {
        id,
        folders,
        journal,
        ..
    } = load(state, session, raw).await?;
    let journal = journal.ok_or_else(not_found)?;
    let instance = journal
        .instance
        .filter(|_| journal.feedback.is_some())
        .ok_or_else(not_found)?;
    // The folder is named as the library names it, from parsed values only.
    let path = folders
        .output()
        .join(format!("{}-{}", id.organisation.as_str(), instance.guid()))
        .join(name);
    let bytes = tokio::fs::read(&path).await.map_err(|_| not_found())?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-{}\"",
        id.organisation.as_str(),
        name
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub(super) async fn receipt(
    State(state): State<ApiState>,
    ApiSession(session): ApiSession,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    feedback_file(&state, &session, &raw, "kvittering.pdf", "application/pdf").await
}

pub(super) async fn payment(
    State(state): State<ApiState>,
    ApiSession(session): ApiSession,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    feedback_file(
        &state,
        &session,
        &raw,
        "betalingsinformasjon.xml",
        "application/xml",
    )
    .await
}
