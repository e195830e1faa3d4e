//! Local validation against the published examples (testdata/mva-meldingen) and hostile inputs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mva::{validate, validate_files, validate_pair, DocumentKind, FindingKind, Severity};

/// The Tax Administration's published examples, kept in the crate (see testdata/mva-meldingen/PROVENANCE.md).
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/mva-meldingen")
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data().join("examples/melding"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    v.sort();
    v
}

/// Runs `f` on a thread and fails the test if it takes longer than `secs`.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("validation hung or crashed")
}

#[test]
fn every_published_return_is_valid_except_the_two_known_bad_ones() {
    let files = examples();
    assert!(files.len() >= 30, "examples missing: {}", files.len());
    for (path, report) in validate_files(&files, 2) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(report.document, Some(DocumentKind::Return), "{name}");
        match name.as_str() {
            "justering_kompensasjon.xml" => {
                assert!(!report.is_valid(), "{name} must fail");
                let e: Vec<_> = report.errors().collect();
                assert_eq!(e.len(), 1, "{e:?}");
                assert_eq!(e[0].kind, FindingKind::Schema);
                assert!(
                    e[0].message
                        .contains("Character content other than whitespace"),
                    "{}",
                    e[0]
                );
                assert_eq!(
                    e[0].path.as_deref(),
                    Some("/mvaMeldingDto/innsending"),
                    "{}",
                    e[0]
                );
                assert!(e[0].line.is_some());
            }
            "omvendtavgiftsplikt_mvamelding.xml" => {
                assert!(!report.is_valid(), "{name} must fail");
                let e: Vec<_> = report.errors().collect();
                assert_eq!(e.len(), 1, "{e:?}");
                assert_eq!(e[0].kind, FindingKind::Schema);
                assert!(e[0].message.contains("omvendtAavgiftsplikt"), "{}", e[0]);
                assert_eq!(
                    e[0].path.as_deref(),
                    Some("/mvaMeldingDto/meldingskategori")
                );
            }
            _ => assert!(report.is_valid(), "{name}: {:#?}", report.findings),
        }
    }
}

#[test]
fn published_envelopes_fail_for_the_reasons_provenance_gives() {
    for name in ["mvakonvolutt1.xml", "kompensasjon_mvakonvolutt.xml"] {
        let bytes = std::fs::read(data().join("examples/konvolutt").join(name)).unwrap();
        let report = validate(&bytes);
        assert_eq!(report.document, Some(DocumentKind::Envelope));
        let errors: Vec<_> = report.errors().collect();
        assert!(
            errors
                .iter()
                .any(|f| f.kind == FindingKind::UnknownDocument
                    && f.message.contains("no namespace")),
            "{name}: {errors:#?}"
        );
        let order = errors
            .iter()
            .find(|f| f.kind == FindingKind::Schema && f.message.contains("vedlegg"))
            .unwrap_or_else(|| panic!("{name}: no finding on element order: {errors:#?}"));
        assert_eq!(
            order.path.as_deref(),
            Some("/mvaMeldingInnsending/vedlegg"),
            "{order}"
        );
        let category = errors
            .iter()
            .any(|f| f.message.contains("merverdiavgift kompensasjon"));
        assert_eq!(
            category,
            name == "kompensasjon_mvakonvolutt.xml",
            "{name}: {errors:#?}"
        );
    }
}

#[test]
fn feedback_envelope_is_valid_once_the_namespace_is_added() {
    let dir = data().join("examples/feedback/exampleSuccessfulFeedback17062021");
    let env = std::fs::read_to_string(dir.join("konvolutt.xml")).unwrap();
    let report = validate(env.as_bytes());
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].message.contains("no namespace"));
    let fixed = env.replacen(
        "<mvaMeldingInnsending ",
        "<mvaMeldingInnsending xmlns=\"no:skatteetaten:fastsetting:avgift:mva:mvameldinginnsending:v1.0\" ",
        1,
    );
    assert!(validate(fixed.as_bytes()).is_valid());
    // and the pair agrees
    let ret = std::fs::read(dir.join("mvamelding.xml")).unwrap();
    let pair = validate_pair(&ret, fixed.as_bytes());
    assert!(pair.is_valid(), "{pair:#?}");
}

#[test]
fn pair_disagreements_are_named() {
    let dir = data().join("examples/feedback/exampleSuccessfulFeedback17062021");
    let env = std::fs::read_to_string(dir.join("konvolutt.xml")).unwrap().replacen(
        "<mvaMeldingInnsending ",
        "<mvaMeldingInnsending xmlns=\"no:skatteetaten:fastsetting:avgift:mva:mvameldinginnsending:v1.0\" ",
        1,
    );
    let env = env
        .replace("911158612", "974761076")
        .replace("<aar>2020</aar>", "<aar>2021</aar>")
        .replace(">alminnelig<", ">primaernaering<");
    let ret = std::fs::read(dir.join("mvamelding.xml")).unwrap();
    let pair = validate_pair(&ret, env.as_bytes());
    assert!(!pair.is_valid());
    let msgs: Vec<String> = pair.consistency.iter().map(|f| f.message.clone()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(
        msgs[0].contains("organisation number (974761076)") && msgs[0].contains("911158612"),
        "{msgs:?}"
    );
    assert!(msgs[1].contains("period (januar-februar 2021)"), "{msgs:?}");
    assert!(msgs[2].contains("category (primaernaering)"), "{msgs:?}");
}

#[test]
fn schema_finding_names_the_vat_code_line_and_column() {
    let src = std::fs::read_to_string(data().join("examples/melding/mvakode3.xml")).unwrap();
    let bad = src.replacen("<merverdiavgift>", "<merverdiavgift>tjue", 1);
    let report = validate(bad.as_bytes());
    let f = report.errors().next().expect("a finding");
    assert_eq!(f.kind, FindingKind::Schema);
    assert_eq!(f.mva_code.as_deref(), Some("3"), "{f}");
    assert_eq!(
        f.path.as_deref(),
        Some("/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/mvaSpesifikasjonslinje/merverdiavgift")
    );
    let line = bad.lines().position(|l| l.contains("tjue")).unwrap() as u32 + 1;
    assert_eq!(f.line, Some(line));
}

#[test]
fn sum_of_lines_differs_is_a_deviation_not_an_error() {
    let src = std::fs::read_to_string(data().join("examples/melding/mvakode1.xml")).unwrap();
    let bad = src.replacen(
        "<fastsattMerverdiavgift>-2500<",
        "<fastsattMerverdiavgift>-2400<",
        1,
    );
    let report = validate(bad.as_bytes());
    assert!(report.is_valid());
    let f = report
        .findings
        .iter()
        .find(|f| f.severity == Severity::Deviation)
        .expect("a deviation");
    assert!(f.message.contains("sum to -2500"), "{f}");
}

#[test]
fn not_xml() {
    let r = within(10, || validate(b"Hello, this is a text file\nnot XML"));
    assert_eq!(r.findings[0].kind, FindingKind::NotWellFormed);
    assert!(!r.is_valid());
    let r = within(10, || validate(b""));
    assert!(r.findings[0].message.contains("empty"));
}

#[test]
fn wrong_namespace() {
    let r = validate(
        b"<?xml version='1.0'?><mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v0.9\"/>",
    );
    let f = &r.findings[0];
    assert_eq!(f.kind, FindingKind::UnknownDocument);
    assert!(
        f.message.contains("wrong namespace")
            && f.message.contains("v0.9")
            && f.message.contains("v1.0"),
        "{f}"
    );
    let r = validate(b"<invoice/>");
    assert!(
        r.findings[0].message.contains("root element is <invoice>"),
        "{}",
        r.findings[0]
    );
}

#[test]
fn truncated() {
    let src = std::fs::read(data().join("examples/melding/eksempelMedAlleTilfeller.xml")).unwrap();
    for cut in [src.len() / 3, src.len() / 2, src.len() - 5] {
        let part = src[..cut].to_vec();
        let r = within(10, move || validate(&part));
        assert!(!r.is_valid());
        assert_eq!(
            r.findings[0].kind,
            FindingKind::NotWellFormed,
            "{}",
            r.findings[0]
        );
    }
}

#[test]
fn huge_is_refused_before_parsing() {
    let mut big = b"<mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0\">".to_vec();
    big.resize(mva::MAX_DOCUMENT_BYTES + 10, b' ');
    let started = Instant::now();
    let r = within(20, move || validate(&big));
    assert_eq!(r.findings[0].kind, FindingKind::TooLarge);
    assert!(r.findings[0].message.contains("25 MB"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn binary() {
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 256) as u8).collect();
    let r = within(10, move || validate(&bytes));
    assert_eq!(r.findings[0].kind, FindingKind::Binary);
    // PDF bytes are binary too
    let pdf = std::fs::read(
        data().join("examples/feedback/exampleSuccessfulFeedback17062021/kvittering.pdf"),
    )
    .unwrap();
    assert!(!within(10, move || validate(&pdf)).is_valid());
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n<mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0\">&lol9;</mvaMeldingDto>");
    let r = within(10, move || validate(doc.as_bytes()));
    assert_eq!(
        r.findings[0].kind,
        FindingKind::DoctypeForbidden,
        "{}",
        r.findings[0]
    );
    assert_eq!(r.findings[0].line, Some(2));
}

#[test]
fn xxe_does_not_read_local_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOPSECRET-4711").unwrap();
    let doc = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file://{}\">]><mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0\"><innsending><regnskapssystemsreferanse>&x;</regnskapssystemsreferanse></innsending></mvaMeldingDto>",
        secret.display()
    );
    let r = within(10, move || validate(doc.as_bytes()));
    assert_eq!(r.findings[0].kind, FindingKind::DoctypeForbidden);
    assert!(r.findings.iter().all(|f| !f.message.contains("TOPSECRET")));
    // an undeclared entity without a DOCTYPE is refused too, never resolved
    let doc2 = b"<mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0\">&x;</mvaMeldingDto>".to_vec();
    let r = within(10, move || validate(&doc2));
    assert_eq!(r.findings[0].kind, FindingKind::NotWellFormed);
}

#[test]
fn missing_file_is_an_io_finding() {
    let r = mva::validate_file(Path::new("/nonexistent/return.xml"));
    assert_eq!(r.findings[0].kind, FindingKind::Io);
    assert!(r.findings[0].message.contains("/nonexistent/return.xml"));
}

#[test]
fn schemas_are_compiled_once_per_thread() {
    let files = examples();
    let count = within(60, move || {
        for f in &files {
            mva::validate_file(f);
        }
        mva::schema::schema_parses_on_this_thread()
    });
    assert_eq!(count, 1);
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let depth = 200_000;
    let mut doc = String::with_capacity(depth * 8);
    doc.push_str("<mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0\">");
    doc.push_str(&"<a>".repeat(depth));
    doc.push_str(&"</a>".repeat(depth));
    doc.push_str("</mvaMeldingDto>");
    let started = Instant::now();
    let r = within(10, move || validate(doc.as_bytes()));
    assert_eq!(r.findings[0].kind, FindingKind::NotWellFormed);
    assert!(
        r.findings[0].message.contains("nested deeper"),
        "{}",
        r.findings[0]
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn many_attributes_and_long_text_do_not_crash() {
    let src = std::fs::read_to_string(data().join("examples/melding/mvakode1.xml")).unwrap();
    let long = "x".repeat(5_000_000);
    let doc = src.replacen(
        "<merknad>\n\t\t<beskrivelse>eksempel mvakode1",
        &format!("<merknad>\n\t\t<beskrivelse>{long}"),
        1,
    );
    let r = within(20, move || validate(doc.as_bytes()));
    let f = r.errors().next().expect("maxLength 4000 is broken");
    assert_eq!(
        f.path.as_deref(),
        Some("/mvaMeldingDto/merknad/beskrivelse"),
        "{f}"
    );
}

#[test]
fn millions_of_tiny_elements_are_refused_without_eating_memory() {
    let mut doc = String::from("<mvaMeldingDto xmlns=\"no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0\">");
    doc.push_str(&"<a/>".repeat(5_000_000));
    doc.push_str("</mvaMeldingDto>");
    let r = within(20, move || validate(doc.as_bytes()));
    assert!(
        r.findings[0].message.contains("more than 200000 elements"),
        "{}",
        r.findings[0]
    );
}

/// mvakode1.xml with its one specification line repeated `n` times.
fn return_with_lines(n: usize) -> String {
    let src = std::fs::read_to_string(data().join("examples/melding/mvakode1.xml")).unwrap();
    let start = src.find("\t\t<mvaSpesifikasjonslinje>").unwrap();
    let end =
        src.find("</mvaSpesifikasjonslinje>\n").unwrap() + "</mvaSpesifikasjonslinje>\n".len();
    format!(
        "{}{}{}",
        &src[..start],
        src[start..end].repeat(n),
        &src[end..]
    )
}

/// libxml2 streams the document and reports where it had read to (here the end tag, two lines below the start);
/// the index built for the finding must still name the element's own line, column, path and VAT code, deep in a
/// large file.
#[test]
fn a_finding_deep_in_a_large_return_has_its_line_column_path_and_vat_code() {
    let doc = return_with_lines(5_000);
    let at = doc
        .match_indices("<mvaSpesifikasjonslinje>")
        .nth(3_999)
        .unwrap()
        .0;
    let (head, tail) = doc.split_at(at);
    let tail = tail
        .replacen("<mvaKode>1</mvaKode>", "<mvaKode>3</mvaKode>", 1)
        .replacen(
            "<merverdiavgift>-2500</merverdiavgift>",
            "<merverdiavgift>\n\t\t\t\ttjue\n\t\t\t</merverdiavgift>",
            1,
        );
    let bad = format!("{head}{tail}");
    let report = within(30, move || validate(bad.as_bytes()));
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{report:#?}");
    let f = errors[0];
    assert_eq!(f.kind, FindingKind::Schema, "{f}");
    let doc = format!("{head}{tail}");
    let start = doc.find("<merverdiavgift>\n").unwrap();
    let line = doc[..start].matches('\n').count() as u32 + 1;
    assert!(line > 20_000, "deep in the file: line {line}");
    assert_eq!(f.line, Some(line), "{f}");
    assert_eq!(f.column, Some(4), "three tabs, then the '<': {f}");
    assert_eq!(
        f.path.as_deref(),
        Some("/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/mvaSpesifikasjonslinje/merverdiavgift")
    );
    assert_eq!(f.mva_code.as_deref(), Some("3"), "{f}");
}

/// An error libxml2 finds only when an element closes (a missing child) is reported at the element's own start
/// tag, not at the last child before the end tag where libxml2 had read to.
#[test]
fn an_error_found_at_an_end_tag_names_the_element_that_closes() {
    let doc = return_with_lines(3_000);
    let at = doc
        .match_indices("<mvaSpesifikasjonslinje>")
        .nth(2_500)
        .unwrap()
        .0;
    let (head, tail) = doc.split_at(at);
    let tail = tail
        .replacen("<merverdiavgift>-2500</merverdiavgift>", "", 1)
        .replacen(
            "<mvaKodeRegnskapsystem>25 inng mva</mvaKodeRegnskapsystem>",
            "",
            1,
        );
    let bad = format!("{head}{tail}");
    let line = head.matches('\n').count() as u32 + 1;
    let report = within(30, move || validate(bad.as_bytes()));
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{report:#?}");
    let f = errors[0];
    assert_eq!(f.line, Some(line), "{f}");
    assert_eq!(
        f.path.as_deref(),
        Some("/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/mvaSpesifikasjonslinje"),
        "{f}"
    );
}
