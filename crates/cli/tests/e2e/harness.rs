//! What every end-to-end test needs: the `mva` binary with its own home, the simulator in-process, the independent
//! oidc-provider as a child process, and scripted browsers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A person of the simulator's built-in test persons.
pub const PERSON: &str = "01818510078";

/// A temporary `MVA_HOME`, a temporary working directory, and a way to run `mva` in them.
pub struct Home {
    /// `MVA_HOME`: tokens, cache, journal.
    pub dir: tempfile::TempDir,
    /// The working directory of every `mva` run, so that what a command writes to `.` (receipts without `--out`,
    /// `./mva-demo`) lands here and never in the source tree (cargo runs tests in the crate's directory).
    pub work: tempfile::TempDir,
    /// Extra environment of every `mva` run.
    env: Vec<(&'static str, &'static str)>,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
            env: vec![],
        }
    }

    /// A home whose every `mva` run authenticates as the simulator's web client with refresh tokens
    /// (`sim::REFRESH_TEST_CLIENT_ID`; ID-porten gives refresh tokens only to web clients that authenticate).
    pub fn web_client() -> Self {
        Self {
            env: vec![
                ("MVA_CLIENT_AUTH", "client_secret_basic"),
                ("MVA_CLIENT_SECRET", sim::REFRESH_TEST_CLIENT_SECRET),
            ],
            ..Self::new()
        }
    }

    /// `mva ARGS` with MVA_HOME set, the temporary working directory, and no other MVA_* variable from the outside.
    pub fn mva(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mva"));
        for (key, _) in std::env::vars() {
            if key.starts_with("MVA_") || key == "BROWSER" {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.work.path())
            .env("MVA_HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .envs(self.env.iter().copied())
            .args(args);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs `mva ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.mva(args).output().unwrap())
    }

    /// The stored session files.
    pub fn token_files(&self) -> Vec<PathBuf> {
        let dir = self.dir.path().join("tokens");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return vec![];
        };
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect()
    }

    /// The one stored session as JSON.
    pub fn session(&self) -> serde_json::Value {
        let files = self.token_files();
        assert_eq!(files.len(), 1, "expected one stored session: {files:?}");
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap()
    }

    /// Rewrites the stored session (e.g. to make its access token expired).
    pub fn edit_session(&self, edit: impl FnOnce(&mut serde_json::Value)) {
        let files = self.token_files();
        let mut value = self.session();
        edit(&mut value);
        std::fs::write(&files[0], serde_json::to_string(&value).unwrap()).unwrap();
    }

    /// Makes the stored access token expired, so the next `mva token` must refresh.
    pub fn expire_access_token(&self) {
        self.edit_session(|s| s["access_expires_at"] = serde_json::json!(0));
    }
}

/// The result of a finished `mva` process.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// The simulator, in this process, on a free port, with headless login on.
pub struct Sim {
    pub handle: Option<sim::SimHandle>,
    pub runtime: tokio::runtime::Runtime,
}

impl Sim {
    pub fn start() -> Self {
        Self::start_with(sim::SimConfig::default())
    }

    pub fn start_with(mut config: sim::SimConfig) -> Self {
        config.sim.headless_login = true;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let handle = runtime.block_on(sim::start(config, addr)).unwrap();
        Self {
            handle: Some(handle),
            runtime,
        }
    }

    pub fn handle(&self) -> &sim::SimHandle {
        self.handle.as_ref().unwrap()
    }

    pub fn issuer(&self) -> String {
        self.handle().issuer()
    }

    /// How many instances of an organisation the simulated Altinn has received as submitted (feedback scheduled).
    pub fn submitted_for(&self, org: &str) -> usize {
        self.handle()
            .mva()
            .instances()
            .iter()
            .filter(|i| i.org == org && i.feedback_at.is_some())
            .count()
    }

    /// How many instances the simulated Altinn holds for an organisation.
    pub fn instances_for(&self, org: &str) -> usize {
        self.handle()
            .mva()
            .instances()
            .iter()
            .filter(|i| i.org == org)
            .count()
    }

    /// A browser command that logs `pid` in through the simulator's headless switch, with plain HTTP (curl).
    pub fn headless_browser(pid: &str) -> String {
        format!("sh -c 'exec curl -fsS -o /dev/null -L \"$0&sim_pid={pid}\"'")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

/// Tests against oidc-provider log in with a real browser; one at a time keeps the machine responsive.
static BROWSER_LOCK: Mutex<()> = Mutex::new(());

/// Serialises the tests that start Chromium.
pub fn browser_lock() -> MutexGuard<'static, ()> {
    BROWSER_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The scripted Chromium browser (tests/interop/browser-login.mjs) as a `--browser-command`.
pub fn chromium_browser(extra: &str) -> String {
    let script = repo_root().join("tests/interop/browser-login.mjs");
    assert!(
        repo_root().join("tests/interop/node_modules/playwright-core").exists(),
        "tests/interop/node_modules is missing: run the npm step of .ci/run (cd tests/interop && npm ci)"
    );
    format!("node {} {extra}", script.display())
}

/// panva's oidc-provider (tests/interop/oidc-provider.mjs), configured like ID-porten, as a child process.
pub struct OidcProvider {
    child: Child,
    pub issuer: String,
}

impl OidcProvider {
    pub fn start() -> Self {
        let script = repo_root().join("tests/interop/oidc-provider.mjs");
        assert!(
            repo_root().join("tests/interop/node_modules/oidc-provider").exists(),
            "tests/interop/node_modules is missing: run the npm step of .ci/run (cd tests/interop && npm ci)"
        );
        let mut child = Command::new("node")
            .arg(script)
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let issuer = line
            .strip_prefix("ISSUER ")
            .unwrap_or_else(|| panic!("oidc-provider did not start: {line:?}"))
            .trim()
            .to_string();
        Self { child, issuer }
    }

    /// `GET /test/stats`: how many refresh grants the provider has seen.
    pub fn stats(&self) -> serde_json::Value {
        reqwest::blocking::Client::new()
            .get(format!("{}/test/stats", self.issuer))
            .timeout(Duration::from_secs(5))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
