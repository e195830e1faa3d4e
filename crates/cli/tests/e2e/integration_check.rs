//! `mva integration check`: the example file passes; a broken one fails naming the Norwegian fields.

use crate::harness::{repo_root, Home};

#[test]
fn the_documented_example_passes_against_matching_software_settings() {
    let home = Home::new();
    let file = repo_root().join("examples/integration.toml");
    let run = home
        .run(&[
            "integration",
            "check",
            file.to_str().unwrap(),
            "--client-id",
            "5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44",
            "--redirect-uri",
            "http://localhost:8988/auth/loginsuccess",
            "--post-logout-redirect-uri",
            "http://localhost:8988/auth/logoutsuccess",
        ])
        .expect(0);
    assert!(run.stdout().contains("0 error(s)"), "{}", run.stdout());
}

#[test]
fn a_broken_integration_fails_with_each_field_named() {
    let home = Home::new();
    let file = home.dir.path().join("broken.toml");
    std::fs::write(
        &file,
        r#"
[[integration]]
client_id = "5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44"
organisation_number = "310000018"
scopes = ["openid", "skatteetaten:mvameldingvalidering"]
grant_types = ["authorization_code", "refresh_token"]
application_type = "native"
redirect_uris = ["http://localhost:8988/auth/loginsuccess"]
[integration.lifetimes]
authorization = 36000
"#,
    )
    .unwrap();
    let run = home
        .run(&[
            "integration",
            "check",
            file.to_str().unwrap(),
            "--client-id",
            "5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44",
            "--redirect-uri",
            "http://localhost:12345/token",
        ])
        .expect(6);
    let out = run.stdout();
    for expected in [
        "error: Kundens org.nr.",
        "error: Scopes: skatteetaten:mvameldinginnsending is missing",
        "mva-modernisering@skatteetaten.no",
        "error: Tillatte grant types",
        "error: Klientautentiseringsmetode",
        "error: Levetider",
        "error: Gyldig(e) redirect uri-er: the software uses http://localhost:12345/token",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    let json = home
        .run(&["integration", "check", file.to_str().unwrap(), "--json"])
        .expect(6)
        .stdout();
    let reports: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(reports[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["field"] == "Levetider"));
}

#[test]
fn a_missing_or_malformed_file_is_a_clear_error() {
    let home = Home::new();
    let run = home
        .run(&["integration", "check", "/nonexistent/integration.toml"])
        .expect(1);
    assert!(
        run.stderr().contains("/nonexistent/integration.toml"),
        "{}",
        run.stderr()
    );

    let file = home.dir.path().join("typo.toml");
    std::fs::write(
        &file,
        "[[integration]]\nclient_id = \"x\"\nredirect_uri = \"http://localhost\"\n",
    )
    .unwrap();
    let run = home
        .run(&["integration", "check", file.to_str().unwrap()])
        .expect(1);
    assert!(run.stderr().contains("redirect_uri"), "{}", run.stderr());
}
