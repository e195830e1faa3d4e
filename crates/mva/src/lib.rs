//! File Norwegian VAT returns (mva-melding) with the Tax Administration over Altinn 3.
//!
//! - Local validation with no network: [`validate()`], [`validate_pair`], [`validate_files`] (parallel), against
//!   the product's own copies of the official XSDs (compiled once per thread with libxml2), refusing DTDs, XML
//!   bombs and XXE, and documents over [`MAX_DOCUMENT_BYTES`]. libxml2 is loaded at run time on the first
//!   validation, not at start-up; without it, validation reports [`MvaError::Libxml2Missing`]'s message.
//! - The validation API ([`MvaClient::validate_remote`]), reading both documented result formats into the same
//!   [`Finding`]s.
//! - Envelope building ([`build_envelope`]) with a real XML writer, checked against the envelope XSD.
//! - Submission ([`MvaClient::submit`], layered in [`submission`]): token exchange, instance, uploads, process
//!   steps, feedback; crash safe through a journal on disk with a lock per entry; a return is never filed twice.
//!
//! ```no_run
//! # async fn run() -> Result<(), mva::MvaError> {
//! use std::sync::Arc;
//! use mva::{AccessToken, EnvelopeOptions, Endpoints, MvaClient, StaticToken, Submission, SubmitOptions};
//!
//! let return_xml = std::fs::read("mva-melding.xml").unwrap();
//! let report = mva::validate(&return_xml);
//! for f in &report.findings { println!("{f}"); }
//!
//! let tokens = Arc::new(StaticToken(AccessToken::new("<ID-porten access token>")));
//! let client = MvaClient::new(Endpoints::test(), tokens)?;
//! let options = EnvelopeOptions { created_by: "Kari".into(), created_at: time::OffsetDateTime::now_utc() };
//! let submission = Submission::build(return_xml, vec![], &options)?;
//! let outcome = client
//!     .submit(&submission, &SubmitOptions::new("journal", "out"), &mut |p| println!("{p:?}"))
//!     .await?;
//! println!("{:?} {:?}", outcome.feedback.substatus, outcome.feedback.payment);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod attachment;
mod capture;
pub mod consistency;
mod encoding;
pub mod endpoints;
pub mod envelope;
pub mod error;
pub mod facts;
pub mod finding;
pub mod instance;
mod libxml2;
pub mod payment;
pub mod response;
mod scan;
pub mod schema;
pub mod service_result;
pub mod submission;
pub mod token;
pub mod types;
pub mod validate;
pub mod xmlw;

pub use attachment::{check_attachments, Attachment};
pub use endpoints::Endpoints;
pub use envelope::{build_envelope, EnvelopeOptions};
pub use error::{MvaError, Result};
pub use facts::Facts;
pub use finding::{DocumentKind, Finding, FindingInFile, FindingKind, Report, Severity};
pub use instance::Stage;
pub use payment::PaymentInfo;
pub use service_result::{parse_service_result, ResultFormat, ServiceResult, Verdict};
pub use submission::{
    Feedback, InstanceState, MvaClient, Progress, Submission, SubmitOptions, SubmitOutcome,
};
pub use token::{AccessToken, KeepFuture, KeptFuture, StaticToken, TokenSource};
pub use types::{Category, InstanceId, OrganisationNumber, Period, PeriodLength};
pub use validate::{
    check, check_with, validate, validate_file, validate_files, validate_pair, validate_with,
    Limits, PairReport, MAX_DOCUMENT_BYTES, MAX_ELEMENTS,
};
