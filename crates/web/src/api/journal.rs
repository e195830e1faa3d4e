//! Where a person's submissions live on the server, and the submission ids the page sees.
//!
//! `{data}/persons/{keyed hash of the pid}/{org}/journal/` (see `person_folder.rs`) is the `mva` library's journal (one folder per submission, locked
//! by the operating system while a submission runs), `.../out/` its feedback files, `.../web/` what this API adds:
//! the attachments' names (to resume) and the last error of a submission.

use super::person_folder::PersonKey;
use crate::types::Pid;
use mva::submission::journal::{write_atomic, JournalFile};
use mva::{Attachment, MvaError, OrganisationNumber};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A submission as the page names it: `{organisation number}-{journal key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubmissionId {
    pub organisation: OrganisationNumber,
    pub key: String,
}

impl SubmissionId {
    /// Parses an id from a URL: 9 digits with a valid check digit, `-`, 64 lowercase hex digits; nothing else
    /// (the parts name folders).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (org, key) = s.split_once('-')?;
        let organisation = org.parse().ok()?;
        let hex = key.len() == 64
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        hex.then(|| Self {
            organisation,
            key: key.to_owned(),
        })
    }
}

impl std::fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.organisation.as_str(), self.key)
    }
}

/// The folders of one person's submissions for one organisation.
#[derive(Debug, Clone)]
pub(crate) struct Folders {
    root: PathBuf,
}

/// An attachment's name and type, kept so that a submission can be resumed from the journal's copies.
#[derive(Debug, Serialize, Deserialize)]
struct KeptAttachment {
    file_name: String,
    content_type: String,
}

impl Folders {
    /// The folders of `pid` for `org` under `data_dir`, the person's folder named with the data folder's key
    /// (made on first use). Blocking: call it off the async workers.
    pub(crate) fn locate(
        data_dir: &Path,
        key: &PersonKey,
        pid: &Pid,
        org: &OrganisationNumber,
    ) -> Result<Self, MvaError> {
        let person = key.person_folder(&data_dir.join("persons"), pid.reveal())?;
        Ok(Self {
            root: person.join(org.as_str()),
        })
    }

    pub(crate) fn journal(&self) -> PathBuf {
        self.root.join("journal")
    }

    pub(crate) fn output(&self) -> PathBuf {
        self.root.join("out")
    }

    fn web(&self) -> PathBuf {
        self.root.join("web")
    }

    pub(crate) fn open(&self, key: &str) -> Result<Option<JournalFile>, MvaError> {
        JournalFile::open(&self.journal(), key)
    }

    /// Keeps the attachments' names and types (their bytes are in the journal).
    pub(crate) fn keep_attachments(
        &self,
        key: &str,
        attachments: &[Attachment],
    ) -> Result<(), MvaError> {
        let kept: Vec<KeptAttachment> = attachments
            .iter()
            .map(|a| KeptAttachment {
                file_name: a.file_name.clone(),
                content_type: a.content_type.clone(),
            })
            .collect();
        self.write(
            &format!("{key}.attachments.json"),
            &serde_json::to_vec(&kept).unwrap_or_default(),
        )
    }

    /// The attachments of a journal, from the kept names and the journal's copies (`vedlegg-{i}`).
    pub(crate) fn kept_attachments(&self, key: &str) -> Result<Vec<Attachment>, MvaError> {
        let path = self.web().join(format!("{key}.attachments.json"));
        let kept: Vec<KeptAttachment> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| MvaError::Journal {
                path: path.clone(),
                detail: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(MvaError::Io {
                    action: "cannot read",
                    path,
                    source,
                })
            }
        };
        let dir = JournalFile::dir_for(&self.journal(), key);
        kept.into_iter()
            .enumerate()
            .map(|(i, k)| {
                let path = dir.join(format!("vedlegg-{i}"));
                let bytes = std::fs::read(&path).map_err(|source| MvaError::Io {
                    action: "cannot read",
                    path,
                    source,
                })?;
                Ok(Attachment {
                    file_name: k.file_name,
                    content_type: k.content_type,
                    bytes,
                })
            })
            .collect()
    }

    /// When the submission was accepted (its attachments' names kept), if it was.
    pub(crate) fn accepted_at(&self, key: &str) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.web().join(format!("{key}.attachments.json")))
            .and_then(|m| m.modified())
            .ok()
    }

    /// Records why a submission stopped (shown by the status), or clears it (`None`).
    pub(crate) fn set_error(&self, key: &str, message: Option<&str>) {
        let name = format!("{key}.error.txt");
        let result = match message {
            Some(m) => self.write(&name, m.as_bytes()),
            None => match std::fs::remove_file(self.web().join(&name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(MvaError::Io {
                    action: "cannot remove",
                    path: self.web().join(&name),
                    source: e,
                }),
                _ => Ok(()),
            },
        };
        if let Err(e) = result {
            tracing::error!("web API: {e}");
        }
    }

    /// The last error of a submission, if any.
    pub(crate) fn error(&self, key: &str) -> Option<String> {
        std::fs::read_to_string(self.web().join(format!("{key}.error.txt"))).ok()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), MvaError> {
        let dir = self.web();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        // Readable by the server's user only, from `persons/` down (the journal's own folders are 0700 too).
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|source| MvaError::Io {
            action: "cannot create folder",
            path: dir.clone(),
            source,
        })?;
        write_atomic(&dir.join(name), bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_nothing_but_an_organisation_and_a_key() {
        let key = "a".repeat(64);
        let id = SubmissionId::parse(&format!("310000019-{key}")).unwrap();
        assert_eq!(id.to_string(), format!("310000019-{key}"));
        for bad in [
            format!("310000018-{key}"),
            format!("310000019-{}", "A".repeat(64)),
            format!("310000019-../{}", "a".repeat(61)),
            "310000019".to_owned(),
            format!("../../etc-{key}"),
        ] {
            assert!(SubmissionId::parse(&bad).is_none(), "{bad}");
        }
    }
}
