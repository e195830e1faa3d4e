//! The whole submission flow and its errors against the simulator's VAT router on a real socket.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mva::{MvaClient, MvaError, Progress, Submission, Verdict};

use crate::common::*;

pub fn client(sim: &TestSim, tokens: Arc<ScriptedTokens>) -> MvaClient {
    MvaClient::new(sim.endpoints(), tokens).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_flow_files_once_and_reads_the_outcome() {
    let sim = start(1).await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = ScriptedTokens::new(sim.verifier.clone(), KARI, 3600);
    let c = client(&sim, tokens.clone());
    let sub = Submission::build(
        return_for(ORG, "whole-flow"),
        vec![pdf_attachment("bilag.pdf"), pdf_attachment("bilag2.pdf")],
        &envelope_options(),
    )
    .unwrap();
    let started = Instant::now();
    let mut steps = Vec::new();
    let out = c
        .submit(&sub, &options(dir.path()), &mut |p| steps.push(p))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let requests = c.request_count();
    println!("MEASURE submission flow: {requests} HTTP requests, {elapsed:?} (feedback delay 1 s, poll 100 ms)");
    assert!(!out.already_submitted);
    assert_eq!(out.feedback.substatus.as_deref(), Some("Godkjent"));
    assert!(out.feedback.archived);
    let pay = out.feedback.payment.clone().expect("payment information");
    assert_eq!(pay.amount_ore, 15000 * 100);
    assert_eq!(pay.amount(), "15000");
    assert_eq!(pay.organisation, ORG);
    assert_eq!(pay.kid, "3400000932456870", "the return's KID is used");
    assert_eq!(pay.due_date, "2020-04-10");
    let v = out.feedback.validation.clone().unwrap();
    assert_eq!(v.verdict, Verdict::NoDeviations);
    assert_eq!(out.feedback.files.len(), 3);
    for f in &out.feedback.files {
        assert!(f.exists(), "{}", f.display());
    }
    let pdf = std::fs::read(
        out.feedback
            .files
            .iter()
            .find(|f| f.ends_with("kvittering.pdf"))
            .unwrap(),
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let uploaded: Vec<_> = steps
        .iter()
        .filter(|p| matches!(p, Progress::AttachmentUploaded(_)))
        .collect();
    assert_eq!(uploaded.len(), 2);
    assert!(steps.contains(&Progress::Submitted));
    assert_eq!(tokens.refreshes.load(Ordering::Relaxed), 0);

    // The server holds exactly one instance with one return, one envelope, two attachments.
    let inst = sim.services.instances();
    assert_eq!(inst.len(), 1);
    let types: Vec<&str> = inst[0].data.iter().map(|d| d.data_type.as_str()).collect();
    assert_eq!(types.iter().filter(|t| **t == "mvamelding").count(), 1);
    assert_eq!(types.iter().filter(|t| **t == "binaerVedlegg").count(), 2);

    // Running the same submission again reports it, sends nothing.
    let before = c.request_count();
    let again = c
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap();
    assert!(again.already_submitted);
    assert_eq!(again.instance, out.instance);
    assert_eq!(
        c.request_count(),
        before,
        "nothing sent for an already filed return"
    );
    assert_eq!(sim.services.instances().len(), 1);

    // force_new files a deliberate correction as a new instance.
    let mut o = options(dir.path());
    o.force_new = true;
    let corrected = c.submit(&sub, &o, &mut |_| {}).await.unwrap();
    assert_ne!(corrected.instance, out.instance);
    assert_eq!(sim.services.instances().len(), 2);

    // status() of the first instance: done, feedback fetched
    let st = c
        .status(&out.instance, &dir.path().join("status"))
        .await
        .unwrap();
    assert_eq!(st.stage, mva::Stage::Done);
    assert_eq!(st.feedback.unwrap().substatus.as_deref(), Some("Godkjent"));
    sim.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deviating_return_gets_substatus_ugyldig_and_the_findings() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim, ScriptedTokens::new(sim.verifier.clone(), KARI, 3600));
    let ret = String::from_utf8(return_for(ORG, "deviating"))
        .unwrap()
        .replace(
            "<fastsattMerverdiavgift>15000<",
            "<fastsattMerverdiavgift>14000<",
        );
    let sub = Submission::build(ret.into_bytes(), vec![], &envelope_options()).unwrap();
    let out = c
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(out.feedback.substatus.as_deref(), Some("Ugyldig"));
    let v = out.feedback.validation.unwrap();
    assert_eq!(v.verdict, Verdict::Deviating);
    assert_eq!(
        v.findings[0].code.as_deref(),
        Some("MVA_MELDINGSINNHOLD_SUM_MVA_FEIL_SUMMERING_AV_AVGIFTLINJER")
    );
    assert_eq!(out.feedback.payment.unwrap().amount_ore, 1_400_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_mid_way_is_refreshed_and_the_step_retried() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    // the first ID-porten token lives 2 s; the Altinn token expires with it
    let tokens = ScriptedTokens::new(sim.verifier.clone(), KARI, 2);
    let c = client(&sim, tokens.clone());
    let sub = Submission::build(return_for(ORG, "expiry"), vec![], &envelope_options()).unwrap();
    let out = c
        .submit(&sub, &options(dir.path()), &mut |p| {
            if matches!(p, Progress::InstanceCreated(_)) {
                std::thread::sleep(Duration::from_millis(2600));
            }
        })
        .await
        .unwrap();
    assert_eq!(out.feedback.substatus.as_deref(), Some("Godkjent"));
    assert_eq!(
        tokens.refreshes.load(Ordering::Relaxed),
        1,
        "one refresh, then the step was retried"
    );
    assert_eq!(
        sim.services.instances().len(),
        1,
        "the same instance was continued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_validation_result_formats_read_into_the_same_findings() {
    let verifier = Arc::new(TestVerifier::default());
    let mut legacy_cfg = config(0, None);
    legacy_cfg.validation_format = sim::mva::ValidationFormat::Legacy;
    let v1 = start_with(config(0, None), verifier.clone()).await;
    let legacy = start_with(legacy_cfg, verifier.clone()).await;
    let bad = std::fs::read(
        crate::local_validation::data().join("examples/melding/omvendtavgiftsplikt_mvamelding.xml"),
    )
    .unwrap();
    let good = return_for(ORG, "good");
    let mut results = Vec::new();
    for s in [&v1, &legacy] {
        let c = MvaClient::new(
            s.endpoints(),
            ScriptedTokens::new(verifier.clone(), KARI, 3600),
        )
        .unwrap();
        let r = c.validate_remote(&bad).await.unwrap();
        assert_eq!(r.verdict, Verdict::Invalid);
        let errors: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.severity == mva::Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{:#?}", r.findings);
        assert!(r
            .findings
            .iter()
            .all(|f| f.severity != mva::Severity::Warning));
        assert!(r.findings[0].message.contains("omvendtAavgiftsplikt"));
        assert_eq!(
            r.findings[0].path.as_deref(),
            Some("/mvaMeldingDto/meldingskategori")
        );
        let ok = c.validate_remote(&good).await.unwrap();
        assert_eq!(ok.verdict, Verdict::NoDeviations);
        assert!(ok.is_accepted());
        results.push(r);
    }
    assert_eq!(results[0].format, mva::ResultFormat::V1);
    assert_eq!(results[1].format, mva::ResultFormat::Legacy);
    assert_eq!(
        results[0].findings[0].message,
        results[1].findings[0].message
    );
    // the v1 answer is valid against its schema
    let http = reqwest::Client::new();
    let token = verifier.mint(KARI, SCOPES, 3600);
    let body = http
        .post(v1.endpoints().validation)
        .bearer_auth(&token)
        .header("content-type", "application/xml")
        .body(bad.clone())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        mva::schema::schema_errors(mva::schema::SchemaKind::ValidationResult, &body).is_empty()
    );
    // the header selects the format per request
    let body = http
        .post(v1.endpoints().validation)
        .bearer_auth(&token)
        .header("X-Sim-Result-Format", "legacy")
        .body(bad)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("<status>UGYLDIG_SKATTEMELDING</status>"),
        "{body}"
    );
}

#[test]
fn published_validation_result_and_payment_information_are_read() {
    let dir = crate::local_validation::data()
        .join("examples/feedback/exampleSuccessfulFeedback17062021")
        .display()
        .to_string();
    let v = mva::parse_service_result(
        &std::fs::read(format!("{dir}/valideringsresultat.xml")).unwrap(),
    )
    .unwrap();
    assert_eq!(v.verdict, Verdict::NoDeviations);
    let p = mva::payment::parse_payment(
        &std::fs::read(format!("{dir}/betalingsinformasjon.xml")).unwrap(),
    )
    .unwrap();
    assert_eq!(p.kid, "99999999999999");
    assert_eq!(p.amount_ore, 0);
    assert_eq!(p.due_date, "2021-05-21");
    let legacy = r#"<valideringsresultat><status>UGYLDIG_SKATTEMELDING</status><valideringsfeil><stiTilFeil>//innsending</stiTilFeil><valideringsDetaljer><feilmelding>Mva meldingen må være på gyldig format</feilmelding><alvorlighetsgrad>UGYLDIG_SKATTEMELDING</alvorlighetsgrad><avvikKode>MvaMeldingsinnhold_Xml_SkjemaValideringsfeil</avvikKode><informasjon>cvc-complex-type.2.4.b</informasjon></valideringsDetaljer></valideringsfeil></valideringsresultat>"#;
    let r = mva::parse_service_result(legacy.as_bytes()).unwrap();
    assert_eq!(r.findings[0].path.as_deref(), Some("//innsending"));
    assert_eq!(
        r.findings[0].code.as_deref(),
        Some("MvaMeldingsinnhold_Xml_SkjemaValideringsfeil")
    );
    assert!(r.findings[0].message.contains("cvc-complex-type.2.4.b"));
    assert!(mva::parse_service_result(b"<other/>").is_err());
    // payment information written by the simulator is valid against its schema
    let period = mva::Period {
        length: mva::PeriodLength::TwoMonths,
        term: "mars-april".into(),
        year: 2022,
    };
    let xml = mva::payment::write_payment(&p, &period).unwrap();
    assert!(mva::schema::schema_errors(mva::schema::SchemaKind::Payment, &xml).is_empty());
}

#[test]
fn attachment_rules_are_checked_before_anything_is_sent() {
    let e = Submission::build(
        return_for(ORG, "a"),
        vec![pdf_attachment("a.pdf"), pdf_attachment("a.pdf")],
        &envelope_options(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("unique"), "{e}");
    let exe = mva::Attachment {
        file_name: "virus.exe".into(),
        content_type: "application/x-msdownload".into(),
        bytes: vec![1],
    };
    assert!(Submission::build(return_for(ORG, "a"), vec![exe], &envelope_options()).is_err());
    // an invalid return is refused locally, with its findings
    let bad = std::fs::read(
        crate::local_validation::data().join("examples/melding/omvendtavgiftsplikt_mvamelding.xml"),
    )
    .unwrap();
    let e = Submission::build(bad, vec![], &envelope_options()).unwrap_err();
    assert!(
        matches!(&e, MvaError::InvalidDocument { what: "return", findings } if findings.len() == 1),
        "{e}"
    );
    // an invalid organisation number is refused
    let e =
        Submission::build(return_for("123456789", "a"), vec![], &envelope_options()).unwrap_err();
    assert!(matches!(e, MvaError::InvalidOrganisationNumber(_)), "{e}");
}

#[test]
fn built_envelope_is_valid_and_lists_the_attachments() {
    let env = mva::build_envelope(
        &return_for(ORG, "e"),
        &[pdf_attachment("bilag.pdf")],
        &envelope_options(),
    )
    .unwrap();
    let report = mva::validate(&env);
    assert!(report.is_valid(), "{report:#?}");
    let s = String::from_utf8(env).unwrap();
    assert!(
        s.contains("<filnavn>bilag</filnavn>") && s.contains("<filekstensjon>pdf</filekstensjon>"),
        "{s}"
    );
    assert!(s.find("<opprettingstidspunkt>").unwrap() < s.find("<vedlegg>").unwrap());
    // names with XML specials are escaped by the writer
    let mut o = envelope_options();
    o.created_by = "Kari <&> \"Ås\"".into();
    let env = mva::build_envelope(&return_for(ORG, "e"), &[], &o).unwrap();
    assert!(mva::validate(&env).is_valid());
    assert!(String::from_utf8(env)
        .unwrap()
        .contains("Kari &lt;&amp;&gt;"));
}
