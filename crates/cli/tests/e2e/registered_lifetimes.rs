//! The integration's registered lifetimes (Levetider) bound what `mva whoami` and `mva token` say and do, and the
//! shared test client is refused in production.

use crate::harness::{repo_root, Home, Sim, PERSON};
use crate::vat::logged_in;

/// The documented example integration, registered for `client_id` with `authorization` seconds.
fn integration_file(home: &Home, client_id: &str, authorization: i64) -> String {
    let text = std::fs::read_to_string(repo_root().join("examples/integration.toml"))
        .unwrap()
        .replace("5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44", client_id)
        .replace(
            "authorization = 7200",
            &format!("authorization = {authorization}"),
        );
    let path = home.work.path().join("integration.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn json(home: &Home, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&home.run(args).expect(0).stdout()).unwrap()
}

#[test]
fn whoami_and_token_end_the_session_at_the_registered_authorization_lifetime() {
    let sim = Sim::start();
    let home = logged_in(&sim, PERSON);
    let stored = json(&home, &["whoami", "--json"]);
    let login = stored["auth_time"].as_i64().unwrap();
    let stored_end = stored["session_expires_at"].as_i64().unwrap();
    assert_eq!(stored["session_ends_by"], "stored");
    // A registered authorization lifetime shorter than what the stored session allows.
    let authorization = ((stored_end - login) / 2).max(30);
    let file = integration_file(&home, sim::REFRESH_TEST_CLIENT_ID, authorization);

    let who = json(&home, &["whoami", "--json", "--integration", &file]);
    assert_eq!(who["session_expires_at"], login + authorization);
    assert_eq!(who["session_ends_by"], "authorization_lifetime");
    assert_eq!(who["registered_lifetimes"]["authorization"], authorization);
    assert!(who["access_expires_at"].as_i64().unwrap() <= login + authorization);
    let text = home
        .run(&["whoami", "--integration", &file])
        .expect(0)
        .stdout();
    assert!(
        text.contains("the integration's authorization lifetime"),
        "{text}"
    );
    assert!(text.contains("registered  authorization"), "{text}");

    let token = json(&home, &["token", "--json", "--integration", &file]);
    assert!(token["expires_at"].as_i64().unwrap() <= login + authorization);

    // The login was longer ago than the registered lifetime: the session is over, though the stored one is not.
    let long_ago = now() - authorization - 10;
    home.edit_session(|s| {
        s["login_time"] = serde_json::json!(long_ago);
        s["id_claims"]["auth_time"] = serde_json::json!(long_ago);
    });
    let run = home.run(&["token", "--integration", &file]).expect(3);
    assert!(run.stdout().is_empty(), "no token printed");
    assert!(
        run.stderr().contains("Autorisasjonens levetid"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("mva login"), "{}", run.stderr());
    // The same through the profile's `integration` key.
    let config = home.work.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[profiles.default]\nintegration = {file:?}\n"),
    )
    .unwrap();
    home.run(&["--config", config.to_str().unwrap(), "token"])
        .expect(3);
    // Without the registration, only the stored session's own end counts.
    home.run(&["token"]).expect(0);
}

#[test]
fn an_integration_file_without_this_client_is_a_usage_error() {
    let sim = Sim::start();
    let home = logged_in(&sim, PERSON);
    let file = integration_file(&home, "someone-elses-client", 7200);
    let run = home.run(&["whoami", "--integration", &file]).expect(2);
    assert!(
        run.stderr().contains(sim::REFRESH_TEST_CLIENT_ID),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("someone-elses-client"),
        "{}",
        run.stderr()
    );
}

#[test]
fn production_refuses_the_shared_test_client_with_the_reason() {
    let home = Home::new();
    for args in [
        vec!["login", "--env", "prod"],
        vec!["token", "--env", "prod"],
        vec!["whoami", "--env", "prod"],
        vec![
            "login",
            "--issuer",
            "https://idporten.no",
            "--client-id",
            idporten::SHARED_TEST_CLIENT_ID,
        ],
    ] {
        let run = home.run(&args).expect(2);
        assert!(
            run.stderr().contains("test environment only"),
            "{args:?}: {}",
            run.stderr()
        );
        assert!(
            run.stderr().contains("Samarbeidsportalen"),
            "{}",
            run.stderr()
        );
    }
    // With its own client, production is a place like any other (here: nobody is logged in).
    home.run(&["whoami", "--env", "prod", "--client-id", "my-own-client"])
        .expect(3);
    // And the shared client still works in test.
    home.run(&["whoami", "--env", "test"]).expect(3);
}
