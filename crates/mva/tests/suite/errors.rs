//! Every error a user can hit during submission: 401, 403 at both steps, 404, the 409 variants.

use std::sync::Arc;

use mva::{MvaClient, MvaError, OrganisationNumber, Progress, Submission};

use crate::common::*;
use crate::submission::client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_token_gives_401_and_a_clear_error() {
    let sim = start(0).await;
    // a raw request with a token the verifier refuses
    let http = reqwest::Client::new();
    for (method, url) in [
        (
            reqwest::Method::POST,
            sim.endpoints().validation.to_string(),
        ),
        (reqwest::Method::GET, sim.endpoints().exchange.to_string()),
        (
            reqwest::Method::POST,
            format!("{}/instances/", sim.endpoints().app),
        ),
    ] {
        let r = http
            .request(method, &url)
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{url}");
    }
    // the client: a refused token, a refresh that is refused too -> Unauthorized
    let c = MvaClient::new(
        sim.endpoints(),
        Arc::new(mva::StaticToken(mva::AccessToken::new("not-a-token"))),
    )
    .unwrap();
    let e = c.validate_remote(&return_for(ORG, "x")).await.unwrap_err();
    assert!(matches!(e, MvaError::Unauthorized { .. }), "{e}");
    assert!(e.to_string().contains("Log in again"), "{e}");
    let sub = Submission::build(return_for(ORG, "x"), vec![], &envelope_options()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = c
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            MvaError::Unauthorized {
                step: "token exchange"
            }
        ),
        "{e}"
    );
    // a token without the submission scope: 403 at the exchange
    let narrow = sim
        .verifier
        .mint(KARI, "openid skatteetaten:mvameldingvalidering", 3600);
    let c = MvaClient::new(
        sim.endpoints(),
        Arc::new(mva::StaticToken(mva::AccessToken::new(narrow))),
    )
    .unwrap();
    let e = c
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("skatteetaten:mvameldinginnsending"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_at_create_names_the_fill_in_roles() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim, ScriptedTokens::new(sim.verifier.clone(), PER, 3600));
    let sub = Submission::build(return_for(ORG, "per"), vec![], &envelope_options()).unwrap();
    let e = c
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap_err();
    match &e {
        MvaError::Forbidden { step, org, hint } => {
            assert_eq!(*step, mva::submission::steps::STEP_CREATE);
            assert_eq!(org, ORG);
            assert!(
                hint.contains("Regnskapsmedarbeider") && hint.contains("Filling in"),
                "{hint}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(sim.services.instances().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_at_submit_names_the_submit_roles_and_a_signer_can_finish() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let ola = client(&sim, ScriptedTokens::new(sim.verifier.clone(), OLA, 3600));
    let sub = Submission::build(
        return_for(ORG, "ola"),
        vec![pdf_attachment("a.pdf")],
        &envelope_options(),
    )
    .unwrap();
    let e = ola
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap_err();
    match &e {
        MvaError::Forbidden { step, hint, .. } => {
            assert_eq!(*step, mva::submission::steps::STEP_SUBMIT);
            assert!(
                hint.contains("Regnskapsfører med signeringsrett") && hint.contains("Submitting"),
                "{hint}"
            );
        }
        other => panic!("{other}"),
    }
    // nothing lost: Kari (who may sign) continues the same instance from the journal
    let kari = client(&sim, ScriptedTokens::new(sim.verifier.clone(), KARI, 3600));
    let mut resumed = false;
    let out = kari
        .submit(&sub, &options(dir.path()), &mut |p| {
            resumed |= matches!(p, Progress::Resuming { instance: Some(_) })
        })
        .await
        .unwrap();
    assert!(resumed);
    assert_eq!(out.feedback.substatus.as_deref(), Some("Godkjent"));
    let inst = sim.services.instances();
    assert_eq!(inst.len(), 1);
    assert_eq!(
        inst[0]
            .data
            .iter()
            .filter(|d| d.data_type == "binaerVedlegg")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_organisation_is_404_cannot_lookup_party() {
    let sim = start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim, ScriptedTokens::new(sim.verifier.clone(), KARI, 3600));
    let sub = Submission::build(
        return_for("974761076", "unknown"),
        vec![],
        &envelope_options(),
    )
    .unwrap();
    let e = c
        .submit(&sub, &options(dir.path()), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MvaError::UnknownOrganisation { org, .. } if org == "974761076"),
        "{e}"
    );
    assert!(
        e.to_string().contains("unknown to Altinn")
            && e.to_string().contains("Cannot lookup party"),
        "{e}"
    );
}

async fn conflict_of(
    c: &MvaClient,
    ret: &[u8],
    env: &[u8],
    attachments: &[mva::Attachment],
) -> MvaError {
    let org: OrganisationNumber = ORG.parse().unwrap();
    let inst = c.create_instance(&org).await.unwrap();
    let id: mva::InstanceId = inst.id.parse().unwrap();
    c.upload_envelope(ORG, &id, &inst.data[0].id, env)
        .await
        .unwrap();
    c.upload_return(ORG, &id, ret).await.unwrap();
    for a in attachments {
        c.upload_attachment(ORG, &id, a).await.unwrap();
    }
    c.process_next(mva::submission::steps::STEP_FILL_IN, ORG, &id)
        .await
        .unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_show_the_reasons_and_the_validation_details() {
    let sim = start(0).await;
    let c = client(&sim, ScriptedTokens::new(sim.verifier.clone(), KARI, 3600));
    let ret = return_for(ORG, "c");
    let env = mva::build_envelope(&ret, &[], &envelope_options()).unwrap();
    let env_s = String::from_utf8(env.clone()).unwrap();

    // org number differs between instance and envelope
    let other_org = env_s.replace(ORG, "310000027");
    let e = conflict_of(&c, &ret, other_org.as_bytes(), &[]).await;
    assert!(
        matches!(&e, MvaError::Conflict { reasons, .. } if reasons.iter().any(|r| r.contains("organisasjonsnummeret i konvolutten (310000027)"))),
        "{e}"
    );

    // category mismatch
    let cat = env_s.replace(">alminnelig<", ">primaernaering<");
    let e = conflict_of(&c, &ret, cat.as_bytes(), &[]).await;
    assert!(
        e.to_string()
            .contains("meldingskategori i konvolutten (primaernaering)"),
        "{e}"
    );

    // envelope fails its schema (no namespace)
    let nons = env_s.replace(
        " xmlns=\"no:skatteetaten:fastsetting:avgift:mva:mvameldinginnsending:v1.0\"",
        "",
    );
    let e = conflict_of(&c, &ret, nons.as_bytes(), &[]).await;
    assert!(
        e.to_string().contains("konvolutten følger ikke skjemaet"),
        "{e}"
    );

    // period missing in the envelope: schema + missing period
    let start = env_s.find("<skattleggingsperiode>").unwrap();
    let end = env_s.find("</skattleggingsperiode>").unwrap() + "</skattleggingsperiode>".len();
    let noperiod = format!("{}{}", &env_s[..start], &env_s[end..]);
    let e = conflict_of(&c, &ret, noperiod.as_bytes(), &[]).await;
    assert!(
        e.to_string().contains("skattleggingsperiode mangler"),
        "{e}"
    );

    // duplicate attachment file names
    let e = conflict_of(
        &c,
        &ret,
        &env,
        &[pdf_attachment("x.pdf"), pdf_attachment("x.pdf")],
    )
    .await;
    assert!(e.to_string().contains("filnavnet x.pdf"), "{e}");

    // invalid return: "Valideringsfeil: Ugyldig mva-melding" with the validation XML, parsed
    let bad = String::from_utf8(ret.clone()).unwrap().replace(
        "<sats>25</sats>\n            <merverdiavgift>25000",
        "<sats>25</sats>\n            <merverdiavgift>mye",
    );
    let e = conflict_of(&c, bad.as_bytes(), &env, &[]).await;
    match &e {
        MvaError::Conflict {
            reasons, findings, ..
        } => {
            assert!(
                reasons
                    .iter()
                    .any(|r| r == "Valideringsfeil: Ugyldig mva-melding"),
                "{reasons:?}"
            );
            assert_eq!(findings.len(), 1, "{findings:?}");
            assert_eq!(findings[0].mva_code.as_deref(), Some("3"));
            assert!(findings[0]
                .path
                .as_deref()
                .unwrap()
                .ends_with("mvaSpesifikasjonslinje/merverdiavgift"));
            assert!(findings[0].line.is_some());
        }
        other => panic!("{other}"),
    }
}
