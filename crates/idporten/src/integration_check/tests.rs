//! Tests of the integration check.

use super::*;
use crate::integration::{ApplicationType, ClientAuthMethod, RefreshTokenType};

fn fields(findings: &[Finding], severity: Severity) -> Vec<&'static str> {
    findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.field)
        .collect()
}

#[test]
fn the_built_in_integrations_pass() {
    for i in [
        Integration::skatteetaten_shared_test_client(),
        Integration::guide_example("5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44"),
    ] {
        let s = SoftwareSettings::for_integration(&i);
        let findings = check(&i, Some(&s));
        assert!(
            fields(&findings, Severity::Error).is_empty(),
            "{findings:#?}"
        );
    }
}

#[test]
fn missing_vat_scope_says_how_to_get_it() {
    let mut i = Integration::skatteetaten_shared_test_client();
    i.scopes
        .retain(|s| s != "skatteetaten:mvameldinginnsending");
    let findings = check(&i, None);
    let f = findings.iter().find(|f| f.field == "Scopes").unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.fix.contains("mva-modernisering@skatteetaten.no"), "{f:?}");
}

#[test]
fn refresh_tokens_need_web_and_client_authentication() {
    let mut i = Integration::skatteetaten_shared_test_client();
    i.grant_types.push("refresh_token".into());
    let findings = check(&i, None);
    let errors = fields(&findings, Severity::Error);
    assert!(errors.contains(&"Tillatte grant types"), "{findings:#?}");
    assert!(
        errors.contains(&"Klientautentiseringsmetode"),
        "{findings:#?}"
    );

    i.application_type = ApplicationType::Web;
    i.client_authentication = ClientAuthMethod::PrivateKeyJwt;
    i.refresh_token_type = RefreshTokenType::Reusable;
    i.lifetimes.refresh_token = 3600;
    assert!(fields(&check(&i, None), Severity::Error).is_empty());
}

#[test]
fn lifetimes_are_capped_at_eight_hours() {
    let mut i = Integration::skatteetaten_shared_test_client();
    i.lifetimes.authorization = 36_000;
    let findings = check(&i, None);
    let f = findings.iter().find(|f| f.field == "Levetider").unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.problem.contains("8 hours"), "{f:?}");
}

#[test]
fn bad_identity_fields() {
    let mut i = Integration::skatteetaten_shared_test_client();
    i.client_id = "my-client".into();
    i.organisation_number = "123456789".into();
    i.difi_tjeneste = "Maskinporten".into();
    let findings = check(&i, None);
    assert!(fields(&findings, Severity::Error).contains(&"Integrasjonens identifikator"));
    assert!(fields(&findings, Severity::Error).contains(&"Kundens org.nr."));
    assert!(fields(&findings, Severity::Warning).contains(&"Difi-tjeneste"));
}

#[test]
fn redirect_uris_follow_the_environment() {
    let mut i = Integration::skatteetaten_shared_test_client();
    i.environment = "prod".into();
    i.redirect_uris.push("http://example.com/cb".into());
    let findings = check(&i, None);
    let problems: Vec<_> = findings
        .iter()
        .filter(|f| f.field == "Gyldig(e) redirect uri-er")
        .map(|f| f.problem.as_str())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("only in test")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("uses http")),
        "{problems:?}"
    );
}

#[test]
fn software_mismatches_are_errors_naming_the_field() {
    let i = Integration::guide_example("5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44");
    let mut s = SoftwareSettings::for_integration(&i);
    s.redirect_uri = "http://127.0.0.1:8988/auth/loginsuccess/".into();
    s.scopes.push("skatteetaten:skattemelding".into());
    s.client_auth = ClientAuthMethod::ClientSecretBasic;
    s.environment = "prod".into();
    let findings = check(&i, Some(&s));
    let errors = fields(&findings, Severity::Error);
    for field in [
        "Gyldig(e) redirect uri-er",
        "Scopes",
        "Klientautentiseringsmetode",
        "Miljø (environment)",
    ] {
        assert!(errors.contains(&field), "{field} missing in {findings:#?}");
    }
    let redirect = findings
        .iter()
        .find(|f| f.field == "Gyldig(e) redirect uri-er")
        .unwrap();
    assert!(redirect.problem.contains("must be exact"), "{redirect:?}");
    assert_eq!(findings[0].severity, Severity::Error, "errors come first");
}

#[test]
fn port_zero_registration_accepts_any_port_for_native_clients() {
    let mut i = Integration::skatteetaten_shared_test_client();
    i.redirect_uris = vec!["http://127.0.0.1:0/callback".into()];
    let mut s = SoftwareSettings::for_integration(&i);
    s.redirect_uri = "http://127.0.0.1:53124/callback".into();
    assert!(fields(&check(&i, Some(&s)), Severity::Error).is_empty());
    s.redirect_uri = "http://127.0.0.1:53124/other".into();
    assert!(!fields(&check(&i, Some(&s)), Severity::Error).is_empty());
}

#[test]
fn organisation_numbers() {
    assert!(is_valid_organisation_number("974761076"));
    assert!(!is_valid_organisation_number("974761077"));
    assert!(!is_valid_organisation_number("97476107"));
}

#[test]
fn the_software_must_serve_a_back_uri_on_its_own_host_and_port() {
    let i = Integration::guide_example("5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44");
    let back = i.back_uri.clone().unwrap();
    let mut s = SoftwareSettings::for_integration(&i);
    assert_eq!(s.back_uri.as_deref(), Some(back.as_str()));
    assert!(!fields(&check(&i, Some(&s)), Severity::Warning).contains(&"Tilbake-uri"));

    // Not served: the cancelled user lands on an error page.
    s.back_uri = None;
    let findings = check(&i, Some(&s));
    let f = findings.iter().find(|f| f.field == "Tilbake-uri").unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.fix.contains("--back-uri") && f.fix.contains(&back),
        "{f:?}"
    );

    // Another path: an error, since nothing else listens on that host and port.
    s.back_uri = Some("http://localhost:8988/auth/cancelled".into());
    let findings = check(&i, Some(&s));
    assert!(
        fields(&findings, Severity::Error).contains(&"Tilbake-uri"),
        "{findings:#?}"
    );

    // One on another server cannot be served by the software.
    s.back_uri = Some("https://example.com/cancelled".into());
    let findings = check(&i, Some(&s));
    assert!(
        findings
            .iter()
            .any(|f| f.field == "Tilbake-uri" && f.problem.contains("cannot serve it")),
        "{findings:#?}"
    );

    // A back URI on a web page the software does not serve needs no setting.
    let mut i = i;
    i.back_uri = Some("https://example.com/cancelled".into());
    s.back_uri = None;
    assert!(!check(&i, Some(&s))
        .iter()
        .any(|f| f.field == "Tilbake-uri" && f.severity != Severity::Info));
}
