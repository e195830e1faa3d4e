//! Opening the login page in the user's browser, or printing its URL when no browser can be started.
//!
//! The URLs opened here carry no token (an authorization request has only client_id, state, nonce, challenge...;
//! the logout page is a random local path), so printing them is safe.
//!
//! ```
//! use idporten_desktop::{BrowserLaunch, BrowserOpener, CommandBrowser, OpenOrPrint};
//! let opener = OpenOrPrint(CommandBrowser { command: "/nonexistent/browser --new-window".into() });
//! let url = url::Url::parse("http://localhost:12345/example").unwrap();
//! // The command cannot start, so the URL is printed to stderr instead.
//! assert_eq!(opener.open(&url).unwrap(), BrowserLaunch::Printed);
//! ```

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use url::Url;

use crate::Error;

/// How the URL reached the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserLaunch {
    /// A browser was started with the URL.
    Opened,
    /// The URL was shown to the user, who opens it.
    Printed,
}

/// A way to bring a URL to the user (the seam that tests replace with a scripted browser).
pub trait BrowserOpener: Send + Sync {
    /// Opens `url`, or says why it cannot.
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error>;
}

/// The system's browser: `$BROWSER` when set (a list of commands separated by `:`, or `;` on Windows, each with `%s`
/// replaced by the URL or the URL appended), else the platform's opener (the `webbrowser` crate); on Linux without a
/// graphical display it fails rather than start a text browser. Wrap it in [`OpenOrPrint`] so that a machine without
/// a browser prints the URL instead of failing.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemBrowser;

impl BrowserOpener for SystemBrowser {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error> {
        match std::env::var("BROWSER") {
            Ok(var) if !var.trim().is_empty() => open_with_browser_var(&var, url),
            _ if !has_graphical_display() => Err(Error::BrowserNotOpened {
                reason:
                    "there is no graphical display here (DISPLAY and WAYLAND_DISPLAY are unset)"
                        .to_string(),
            }),
            _ => webbrowser::open(url.as_str())
                .map(|()| BrowserLaunch::Opened)
                .map_err(|e| Error::BrowserNotOpened {
                    reason: e.to_string(),
                }),
        }
    }
}

/// Whether a GUI browser can show up. On Linux and the BSDs without DISPLAY or WAYLAND_DISPLAY (an SSH session, a
/// container) the `webbrowser` crate would fall back to a text browser that takes over the terminal, so the URL is
/// better printed. macOS, Windows and WSL always have a way to open one.
fn has_graphical_display() -> bool {
    if cfg!(any(target_os = "macos", windows, target_os = "android")) {
        return true;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY") || set("WSL_DISTRO_NAME")
}

/// The commands of a `$BROWSER` value, each as program and arguments with the URL in place.
pub(crate) fn browser_var_commands(var: &str, url: &Url) -> Vec<Result<Vec<String>, Error>> {
    var.split(if cfg!(windows) { ';' } else { ':' })
        .filter(|c| !c.trim().is_empty())
        .map(|command| {
            let mut words = split(command)?;
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", url.as_str());
                }
            } else {
                words.push(url.as_str().to_string());
            }
            Ok(words)
        })
        .collect()
}

fn open_with_browser_var(var: &str, url: &Url) -> Result<BrowserLaunch, Error> {
    let mut last = Error::BrowserNotOpened {
        reason: "$BROWSER names no command".to_string(),
    };
    for words in browser_var_commands(var, url) {
        match words.and_then(|w| spawn_detached(&w.join(" "), &w)) {
            Ok(()) => return Ok(BrowserLaunch::Opened),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A browser command given by the user (`--browser-command CMD`): split shell-words style, the URL appended as the
/// last argument, started in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBrowser {
    /// The command line, e.g. `firefox --private-window`.
    pub command: String,
}

impl BrowserOpener for CommandBrowser {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error> {
        let mut words = split(&self.command)?;
        words.push(url.as_str().to_string());
        spawn_detached(&self.command, &words)?;
        Ok(BrowserLaunch::Opened)
    }
}

fn split(command: &str) -> Result<Vec<String>, Error> {
    let words = shell_words::split(command).map_err(|e| Error::BrowserCommandFailed {
        command: command.to_string(),
        reason: format!("it cannot be split into words ({e})"),
    })?;
    if words.is_empty() {
        return Err(Error::BrowserCommandFailed {
            command: command.to_string(),
            reason: "it is empty".to_string(),
        });
    }
    Ok(words)
}

/// The prefix of the variables removed from a browser command's environment: `MVA_CLIENT_SECRET` and any other
/// setting of ours is none of the browser's business, and a browser (or its extensions, crash reporter, child
/// processes) may keep or send its environment anywhere.
pub const PRIVATE_ENV_PREFIX: &str = "MVA_";

/// Starts `words` without waiting for it (the login goes on while the browser runs); a thread reaps the child so no
/// zombie stays behind. Its output is discarded except for stderr, which may tell the user why it failed. Its
/// environment lacks every `MVA_*` variable ([`PRIVATE_ENV_PREFIX`]).
fn spawn_detached(command: &str, words: &[String]) -> Result<(), Error> {
    let mut cmd = Command::new(&words[0]);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with(PRIVATE_ENV_PREFIX) {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| Error::BrowserCommandFailed {
            command: command.to_string(),
            reason: e.to_string(),
        })?;
    let name = words[0].clone();
    std::thread::spawn(move || match child.wait() {
        Ok(status) if !status.success() => {
            tracing::warn!(browser = %name, %status, "the browser command failed")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(browser = %name, error = %e, "cannot wait for the browser command")
        }
    });
    Ok(())
}

/// Shows the URL to the user: writes "Open this URL in a browser to log in:" and the URL to a writer (stderr by
/// default).
pub struct PrintUrl {
    out: Mutex<Box<dyn Write + Send>>,
}

impl PrintUrl {
    /// Prints to the given writer.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    /// Prints to standard error.
    pub fn stderr() -> Self {
        Self::new(Box::new(std::io::stderr()))
    }
}

impl Default for PrintUrl {
    fn default() -> Self {
        Self::stderr()
    }
}

impl std::fmt::Debug for PrintUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrintUrl")
    }
}

impl BrowserOpener for PrintUrl {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error> {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        writeln!(out, "Open this URL in a browser to log in:\n  {url}")
            .and_then(|()| out.flush())
            .map_err(|e| Error::BrowserNotOpened {
                reason: format!("cannot print the URL either: {e}"),
            })?;
        Ok(BrowserLaunch::Printed)
    }
}

/// Tries the browser `B`; when it fails, says why and prints the URL to stderr ([`BrowserLaunch::Printed`]).
#[derive(Debug, Clone, Default)]
pub struct OpenOrPrint<B>(pub B);

impl<B: BrowserOpener> BrowserOpener for OpenOrPrint<B> {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error> {
        match self.0.open(url) {
            Ok(launch) => Ok(launch),
            Err(e) => {
                eprintln!("{e}");
                PrintUrl::stderr().open(url)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_var_places_the_url() {
        let url = Url::parse("http://localhost:1/a?b=c").unwrap();
        let cmds: Vec<Vec<String>> =
            browser_var_commands("firefox --new-tab:'my browser' --open=%s", &url)
                .into_iter()
                .map(Result::unwrap)
                .collect();
        assert_eq!(
            cmds[0],
            ["firefox", "--new-tab", "http://localhost:1/a?b=c"]
        );
        assert_eq!(cmds[1], ["my browser", "--open=http://localhost:1/a?b=c"]);
        assert!(browser_var_commands("'unclosed", &url)[0].is_err());
    }
}
