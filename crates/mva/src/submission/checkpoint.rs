//! The checkpoint seam: the flow calls a hook at each checkpoint of a submission, so tests can stop or kill it at an
//! exact step (before or after the journal recorded what the server accepted). Nothing waits in the library; the
//! hook decides (the CLI's crash tests use one that prints `PAUSED <name>` and waits to be killed).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

/// A point of the flow where a hook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The Altinn token is at hand.
    Exchanged,
    /// The instance is created.
    InstanceCreated,
    /// The envelope is uploaded.
    EnvelopeUploaded,
    /// The return is uploaded.
    ReturnUploaded,
    /// Every attachment is uploaded.
    AttachmentsUploaded,
    /// The first process/next is done.
    FilledIn,
    /// The second process/next is done: the return is filed.
    Submitted,
    /// The feedback is saved.
    Feedback,
}

impl Step {
    const ALL: [Step; 8] = [
        Step::Exchanged,
        Step::InstanceCreated,
        Step::EnvelopeUploaded,
        Step::ReturnUploaded,
        Step::AttachmentsUploaded,
        Step::FilledIn,
        Step::Submitted,
        Step::Feedback,
    ];

    /// `exchanged`, `instance-created`, ...
    pub fn name(self) -> &'static str {
        match self {
            Step::Exchanged => "exchanged",
            Step::InstanceCreated => "instance-created",
            Step::EnvelopeUploaded => "envelope-uploaded",
            Step::ReturnUploaded => "return-uploaded",
            Step::AttachmentsUploaded => "attachments-uploaded",
            Step::FilledIn => "filled-in",
            Step::Submitted => "submitted",
            Step::Feedback => "feedback",
        }
    }
}

/// A checkpoint: a step, and whether the journal has recorded it yet (`recorded: false` = the server accepted the
/// step, the journal does not know).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// The step.
    pub step: Step,
    /// Whether the journal has recorded the step.
    pub recorded: bool,
}

impl Checkpoint {
    /// After the journal recorded `step`.
    pub fn recorded(step: Step) -> Self {
        Self {
            step,
            recorded: true,
        }
    }
    /// After the server accepted `step`, before the journal recorded it.
    pub fn unrecorded(step: Step) -> Self {
        Self {
            step,
            recorded: false,
        }
    }
}

/// `instance-created`, or `instance-created:unrecorded`.
impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.step.name())?;
        if !self.recorded {
            f.write_str(":unrecorded")?;
        }
        Ok(())
    }
}

/// Reads the form [`Checkpoint`] displays as.
///
/// ```
/// use mva::submission::checkpoint::{Checkpoint, Step};
/// let c: Checkpoint = "filled-in:unrecorded".parse().unwrap();
/// assert_eq!(c, Checkpoint::unrecorded(Step::FilledIn));
/// assert_eq!(c.to_string(), "filled-in:unrecorded");
/// assert!("lunch".parse::<Checkpoint>().is_err());
/// ```
impl FromStr for Checkpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, recorded) = match s.strip_suffix(":unrecorded") {
            Some(n) => (n, false),
            None => (s, true),
        };
        Step::ALL
            .iter()
            .find(|st| st.name() == name)
            .map(|&step| Checkpoint { step, recorded })
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a checkpoint: use one of {} (optionally with :unrecorded)",
                    Step::ALL.map(Step::name).join(", ")
                )
            })
    }
}

/// The future a [`CheckpointHook`] returns.
pub type CheckpointFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Called by the flow at each checkpoint, in order; the flow goes on when the future completes.
pub trait CheckpointHook: Send + Sync {
    /// The flow reached `at`.
    fn reached(&self, at: Checkpoint) -> CheckpointFuture<'_>;
}
