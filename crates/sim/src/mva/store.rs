//! The instances of the submission app, optionally persisted to a JSON file (atomic writes).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine;
use serde::{Deserialize, Serialize};

/// A data element of an instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimData {
    /// The element id.
    pub id: String,
    /// Data type.
    pub data_type: String,
    /// File name from Content-Disposition.
    pub filename: Option<String>,
    /// Content type.
    pub content_type: String,
    /// Content, base64.
    pub content: String,
    /// Created, Unix seconds.
    pub created: i64,
    /// Hidden until the feedback time (feedback elements).
    pub visible_from: i64,
}

impl SimData {
    /// The content.
    pub fn bytes(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.content)
            .unwrap_or_default()
    }
    /// Sets the content.
    pub fn set_bytes(&mut self, b: &[u8]) {
        self.content = base64::engine::general_purpose::STANDARD.encode(b);
    }
}

/// An instance of the submission app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimInstance {
    /// `{partyId}/{guid}`.
    pub id: String,
    /// The organisation.
    pub org: String,
    /// Who created it.
    pub created_by: String,
    /// Created, Unix seconds.
    pub created: i64,
    /// 1 = filling in, 2 = confirmation, 3 = waiting for feedback; the process ends when feedback is given.
    pub task: u8,
    /// When feedback becomes available (Unix seconds), once submitted.
    pub feedback_at: Option<i64>,
    /// Substatus label and description given with the feedback.
    pub substatus: Option<(String, String)>,
    /// Data elements.
    pub data: Vec<SimData>,
}

impl SimInstance {
    /// Whether the feedback is available at `now`.
    pub fn feedback_ready(&self, now: i64) -> bool {
        self.feedback_at.is_some_and(|t| now >= t)
    }
}

pub(crate) struct Store {
    file: Option<PathBuf>,
    map: Mutex<BTreeMap<String, SimInstance>>,
}

impl Store {
    pub fn load(file: Option<PathBuf>) -> Self {
        let mut map = BTreeMap::new();
        if let Some(f) = &file {
            match std::fs::read(f) {
                Ok(bytes) => match serde_json::from_slice::<Vec<SimInstance>>(&bytes) {
                    Ok(list) => map = list.into_iter().map(|i| (i.id.clone(), i)).collect(),
                    Err(e) => {
                        let aside = f.with_extension("damaged");
                        tracing::error!(file = %f.display(), error = %e, "mva state file is damaged; moved to {}", aside.display());
                        let _ = std::fs::rename(f, aside);
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::error!(file = %f.display(), error = %e, "cannot read mva state file")
                }
            }
        }
        Self {
            file,
            map: Mutex::new(map),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SimInstance>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn all(&self) -> Vec<SimInstance> {
        self.lock().values().cloned().collect()
    }

    pub fn get(&self, id: &str) -> Option<SimInstance> {
        self.lock().get(id).cloned()
    }

    /// Changes an instance (or inserts one) and persists the state before answering.
    pub fn update<T>(&self, id: &str, f: impl FnOnce(Option<&mut SimInstance>) -> T) -> T {
        let mut map = self.lock();
        let out = f(map.get_mut(id));
        self.persist(&map);
        out
    }

    pub fn insert(&self, inst: SimInstance) {
        let mut map = self.lock();
        map.insert(inst.id.clone(), inst);
        self.persist(&map);
    }

    fn persist(&self, map: &BTreeMap<String, SimInstance>) {
        let Some(f) = &self.file else { return };
        let list: Vec<&SimInstance> = map.values().collect();
        if let Err(e) = write_atomically(f, &list) {
            tracing::error!(file = %f.display(), error = %e, "cannot write mva state file");
        }
    }
}

/// Writes `value` as JSON to `file` atomically: into a new temporary file of a random name in the same directory
/// (created exclusively, mode 0600, so nothing planted at a guessable name is followed or reused), synced, then
/// renamed over `file`. A process killed at any point leaves the old file or the new one, never half of one.
fn write_atomically(file: &std::path::Path, value: &impl Serialize) -> std::io::Result<()> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".mva-sim-state-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), value)
        .map_err(std::io::Error::other)?;
    tmp.as_file().sync_all()?;
    tmp.persist(file).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str) -> SimInstance {
        SimInstance {
            id: id.into(),
            org: "310000019".into(),
            created_by: "01818510078".into(),
            created: 1,
            task: 1,
            feedback_at: None,
            substatus: None,
            data: vec![],
        }
    }

    #[test]
    fn state_survives_a_reload_and_a_damaged_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.json");
        let store = Store::load(Some(file.clone()));
        store.insert(instance("1/a"));
        store.update("1/a", |i| i.unwrap().task = 2);
        let again = Store::load(Some(file.clone()));
        assert_eq!(again.get("1/a").unwrap().task, 2);
        std::fs::write(&file, b"{not json").unwrap();
        let damaged = Store::load(Some(file.clone()));
        assert!(damaged.all().is_empty());
        assert!(file.with_extension("damaged").exists());
    }

    /// The old code wrote `state.tmp` with `std::fs::write` (follows symlinks, truncates): a symlink planted at that
    /// name made the simulator overwrite any file its user can write.
    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_a_guessable_temporary_name_is_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let file = dir.path().join("state.json");
        for name in ["state.tmp", "state.json.tmp", ".state.json.tmp"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        let store = Store::load(Some(file.clone()));
        store.insert(instance("1/a"));
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(Store::load(Some(file.clone())).all().len(), 1);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the state file holds returns: owner only"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".mva-sim-state-"))
            .collect();
        assert!(left.is_empty(), "no temporary file left behind: {left:?}");
    }
}
