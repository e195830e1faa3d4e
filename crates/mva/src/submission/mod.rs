//! Filing a return over Altinn 3, in layers that depend one way only:
//!
//! ```text
//! model, steps, checkpoint, conflict   pure: what to file, step names and roles, checkpoints, reading a 409
//!         ↑
//! journal                               disk: the journal entry, its lock, atomic writes
//!         ↑
//! client, app                           HTTP: one reqwest client, one 401-renew-and-retry helper, the app's calls
//!         ↑
//! flow, feedback                        the submission itself (uses all of the above), waiting for feedback, status
//! ```
//!
//! The journal knows nothing of HTTP; the HTTP layer knows nothing of the journal or the flow.

pub mod app;
pub mod checkpoint;
pub mod client;
mod conflict;
pub mod feedback;
pub mod flow;
pub mod journal;
pub mod model;
pub mod steps;

pub use checkpoint::{Checkpoint, CheckpointFuture, CheckpointHook, Step};
pub use client::MvaClient;
pub use model::{
    submission_key, Feedback, InstanceState, Progress, Submission, SubmitOptions, SubmitOutcome,
};
