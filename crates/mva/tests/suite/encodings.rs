//! Documents in another encoding than UTF-8, and DOCTYPEs hidden by one: refused before libxml2 sees them, and no
//! path or URL named in them is ever opened or fetched (through the library and the simulator's validation API).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mva::{validate, FindingKind, Report};

use crate::common::*;

const NS: &str = "no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0";

/// A document declared as UTF-7 whose DOCTYPE (naming `system_id`) is, read as UTF-8, inside a comment: the bytes
/// `+AC0-+AC0-+AD4-` are UTF-7 for `-->`, so a UTF-7 reader sees an empty comment, then the DOCTYPE.
fn utf7_hiding_doctype(system_id: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n<!--+AC0-+AC0-+AD4-<!DOCTYPE mvaMeldingDto SYSTEM \"{system_id}\"><!-- -->\n<mvaMeldingDto xmlns=\"{NS}\"/>\n"
    )
    .into_bytes()
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut units: Vec<u16> = Vec::new();
    if bom {
        units.push(0xFEFF);
    }
    units.extend(text.encode_utf16());
    units
        .into_iter()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

/// Runs `f` on a thread and fails the test if it takes longer than `secs` (a FIFO opened for reading blocks for
/// ever).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("validation hung (it opened a FIFO?) or crashed")
}

fn validate_within(bytes: Vec<u8>) -> Report {
    within(10, move || validate(&bytes))
}

fn assert_refused_as_not_utf8(r: &Report, what: &str) {
    assert!(!r.is_valid(), "{what}: {r:#?}");
    assert_eq!(r.findings.len(), 1, "{what}: {r:#?}");
    assert_eq!(r.findings[0].kind, FindingKind::Encoding, "{what}: {r:#?}");
    assert!(r.findings[0].message.contains("UTF-8"), "{what}: {r:#?}");
}

#[cfg(unix)]
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    path
}

/// A TCP listener that records whether anything connected.
struct Tripwire {
    listener: TcpListener,
}

impl Tripwire {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self { listener }
    }
    fn url(&self) -> String {
        format!("http://{}/r.dtd", self.listener.local_addr().unwrap())
    }
    fn assert_untouched(&self) {
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("the DTD's URL was fetched: {other:?}"),
        }
    }
}

#[test]
fn utf7_declaration_is_refused_and_the_hidden_system_id_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("r.dtd");
    std::fs::write(
        &existing,
        "<!ELEMENT mvaMeldingDto EMPTY>\n<!ENTITY x \"y\">\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.dtd");
    let a = validate_within(utf7_hiding_doctype(&existing.display().to_string()));
    let b = validate_within(utf7_hiding_doctype(&missing.display().to_string()));
    assert_refused_as_not_utf8(&a, "UTF-7, existing file");
    assert!(a.findings[0].message.contains("UTF-7"), "{a:#?}");
    // an existing file and a missing one cannot be told apart
    assert_eq!(a, b);
}

#[cfg(unix)]
#[test]
fn utf7_doctype_naming_a_fifo_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    let r = validate_within(utf7_hiding_doctype(&fifo.display().to_string()));
    assert_refused_as_not_utf8(&r, "UTF-7, FIFO");
}

#[test]
fn utf7_doctype_naming_a_url_is_not_fetched() {
    let wire = Tripwire::new();
    let r = validate_within(utf7_hiding_doctype(&wire.url()));
    assert_refused_as_not_utf8(&r, "UTF-7, URL");
    wire.assert_untouched();
}

#[test]
fn utf16_with_and_without_bom_is_refused_naming_the_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("r.dtd");
    std::fs::write(&target, "<!ELEMENT mvaMeldingDto EMPTY>\n").unwrap();
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE mvaMeldingDto SYSTEM \"{}\">\n<mvaMeldingDto xmlns=\"{NS}\"/>\n",
        target.display()
    );
    for (be, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let r = validate_within(utf16(&doc, be, bom));
        let what = format!("UTF-16 big endian {be}, BOM {bom}");
        assert_refused_as_not_utf8(&r, &what);
        assert!(r.findings[0].message.contains("UTF-16"), "{what}: {r:#?}");
    }
}

#[test]
fn latin1_declaration_and_invalid_utf8_are_refused() {
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<mvaMeldingDto xmlns=\"{NS}\"/>\n"
    );
    let r = validate_within(doc.into_bytes());
    assert_refused_as_not_utf8(&r, "ISO-8859-1");
    assert!(r.findings[0].message.contains("ISO-8859-1"), "{r:#?}");
    // bytes that are not UTF-8 at all, with no declaration: the finding gives the line
    let mut bad = format!("<mvaMeldingDto xmlns=\"{NS}\">\n<x>").into_bytes();
    bad.extend_from_slice(b"\xe6\xf8\xe5</x></mvaMeldingDto>");
    let r = validate_within(bad);
    assert_refused_as_not_utf8(&r, "Latin-1 bytes");
    assert_eq!(r.findings[0].line, Some(2), "{r:#?}");
    // a UTF-8 declaration (any case) and a UTF-8 BOM stay fine
    for decl in ["UTF-8", "utf-8"] {
        let doc = format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"{decl}\"?>\n<mvaMeldingDto xmlns=\"{NS}\"/>\n"
        );
        let r = validate_within(doc.into_bytes());
        assert!(
            r.findings.iter().all(|f| f.kind == FindingKind::Schema),
            "{decl}: {r:#?}"
        );
    }
}

#[test]
fn schema_errors_refuses_other_encodings_too() {
    let wire = Tripwire::new();
    let bytes = utf7_hiding_doctype(&wire.url());
    let errors = within(10, move || {
        mva::schema::schema_errors(mva::schema::SchemaKind::Return, &bytes)
    });
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("UTF-7"), "{errors:?}");
    wire.assert_untouched();
}

/// Posts `body` to the simulator's validation API and returns its answer.
async fn post_to_sim(sim: &TestSim, body: Vec<u8>) -> String {
    let token = sim.verifier.mint(KARI, SCOPES, 3600);
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        reqwest::Client::new()
            .post(sim.endpoints().validation)
            .bearer_auth(token)
            .header("content-type", "application/xml")
            .body(body)
            .send(),
    )
    .await
    .expect("the simulator's validation API hung")
    .unwrap();
    assert_eq!(answer.status(), 200);
    answer.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_validation_api_refuses_them_without_opening_anything() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let wire = Tripwire::new();
    let mut targets = vec![wire.url()];
    #[cfg(unix)]
    targets.push(fifo(dir.path()).display().to_string());
    for target in targets {
        let answer = post_to_sim(&sim, utf7_hiding_doctype(&target)).await;
        assert!(answer.contains("UTF-7"), "{target}: {answer}");
    }
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE mvaMeldingDto SYSTEM \"{}\">\n<mvaMeldingDto xmlns=\"{NS}\"/>\n",
        wire.url()
    );
    for bom in [true, false] {
        let answer = post_to_sim(&sim, utf16(&doc, false, bom)).await;
        assert!(answer.contains("UTF-16"), "BOM {bom}: {answer}");
    }
    wire.assert_untouched();
    sim.stop();
}
