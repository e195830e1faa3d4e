//! The browser openers: a real command started in the background, $BROWSER, printing, and the fallback.

use super::common::*;
use idporten_desktop::{
    BrowserLaunch, BrowserOpener, CommandBrowser, Error, OpenOrPrint, PrintUrl, SystemBrowser,
};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn a_browser_command_gets_the_url_as_last_argument_and_the_login_completes() {
    let _turn = PROCESSES_OR_FIXED_PORTS.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (command, out) = recording_script(dir.path());
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let login_url = url::Url::parse(&at(&l, "/cb?code=via-browser&state=s1")).unwrap();
    let opener = CommandBrowser { command };
    assert_eq!(opener.open(&login_url).unwrap(), BrowserLaunch::Opened);
    let args = wait_for_file(&out).await;
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args, ["--new-window", login_url.as_str()]);
    // The "browser" follows the URL it was given.
    let (result, answer) = tokio::join!(wait_cb(&mut l, "s1"), get(args[1]));
    assert_eq!(result.unwrap().code.secret(), "via-browser");
    assert_eq!(answer.status, 200);
}

#[test]
fn a_missing_browser_command_is_named_in_the_error() {
    let _turn = PROCESSES_OR_FIXED_PORTS.blocking_lock();
    let url = url::Url::parse("http://localhost:1/x").unwrap();
    let e = CommandBrowser {
        command: "/no/such/browser --flag".into(),
    }
    .open(&url)
    .unwrap_err();
    assert!(
        matches!(&e, Error::BrowserCommandFailed { command, .. } if command == "/no/such/browser --flag"),
        "{e:?}"
    );
    assert!(e.to_string().contains("/no/such/browser"));
    let e = CommandBrowser {
        command: "  ".into(),
    }
    .open(&url)
    .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let e = CommandBrowser {
        command: "firefox 'unclosed".into(),
    }
    .open(&url)
    .unwrap_err();
    assert!(matches!(e, Error::BrowserCommandFailed { .. }), "{e:?}");
}

#[test]
fn open_or_print_falls_back_to_printing() {
    let _turn = PROCESSES_OR_FIXED_PORTS.blocking_lock();
    let url = url::Url::parse("http://localhost:1/x").unwrap();
    let opener = OpenOrPrint(CommandBrowser {
        command: "/no/such/browser".into(),
    });
    assert_eq!(opener.open(&url).unwrap(), BrowserLaunch::Printed);
    let dir = tempfile::tempdir().unwrap();
    let (command, out) = recording_script(dir.path());
    assert_eq!(
        OpenOrPrint(CommandBrowser { command }).open(&url).unwrap(),
        BrowserLaunch::Opened
    );
    assert!(wait_for_file_blocking(&out).ends_with("http://localhost:1/x\n"));
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn print_url_writes_the_url_for_the_user() {
    let out = Shared::default();
    let url =
        url::Url::parse("https://login.test.idporten.no/authorize?client_id=c&state=s").unwrap();
    assert_eq!(
        PrintUrl::new(Box::new(out.clone())).open(&url).unwrap(),
        BrowserLaunch::Printed
    );
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text,
        format!("Open this URL in a browser to log in:\n  {url}\n")
    );
}

#[test]
fn the_system_browser_honours_the_browser_variable() {
    let _turn = PROCESSES_OR_FIXED_PORTS.blocking_lock();
    // The only test of this binary that touches $BROWSER.
    let dir = tempfile::tempdir().unwrap();
    let (command, out) = recording_script(dir.path());
    let url = url::Url::parse("http://localhost:1/x?y=z").unwrap();
    std::env::set_var("BROWSER", format!("/no/such/browser:{command} --url=%s"));
    let launch = SystemBrowser.open(&url);
    std::env::remove_var("BROWSER");
    assert_eq!(launch.unwrap(), BrowserLaunch::Opened);
    let args = wait_for_file_blocking(&out);
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["--new-window", "--url=http://localhost:1/x?y=z"]
    );
    let headless = ["DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME"]
        .iter()
        .all(|v| std::env::var_os(v).is_none());
    if cfg!(target_os = "linux") && headless {
        let e = SystemBrowser.open(&url).unwrap_err();
        assert!(matches!(e, Error::BrowserNotOpened { .. }), "{e:?}");
        assert!(e.to_string().contains("no graphical display"), "{e}");
    } else {
        eprintln!("note: this machine has a display; the headless half of this test is skipped");
    }
}
