//! Web pages cannot drive or read the simulator: foreign Host names are refused on every route (DNS rebinding), and
//! the admin API takes only JSON (a cross-site `text/plain` POST needs no preflight).

use reqwest::header::{CONTENT_TYPE, HOST};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_foreign_host_is_refused_on_every_route() {
    let sim = sim().await;
    let port = sim.handle.addr().port();
    for path in [
        "/.well-known/openid-configuration",
        "/jwks.json",
        "/sim/admin/requests",
        "/sim/admin/stats",
        "/authorize",
    ] {
        for host in [
            format!("attacker.example:{port}"),
            "attacker.example".to_string(),
            format!("127.0.0.1:{}", port.wrapping_add(1)),
            format!("127.0.0.1.nip.io:{port}"),
        ] {
            let r = sim
                .http
                .get(sim.url(path))
                .header(HOST, &host)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 421, "{path} with Host {host}");
        }
    }
    let r = sim
        .http
        .post(sim.url("/sim/admin/faults"))
        .header(HOST, format!("rebind.example:{port}"))
        .json(&json!({"endpoint": "token", "kind": "status", "status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 421);
    assert!(sim.handle.faults().armed().is_empty(), "nothing was armed");
    // The simulator's own names work.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let r = sim
            .http
            .get(sim.url("/.well-known/openid-configuration"))
            .header(HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "Host {host}");
    }
}

#[tokio::test]
async fn a_configured_issuer_host_is_allowed_too() {
    let sim = sim_with("[sim]\nissuer = \"https://sim.test.example\"\n").await;
    let url = format!("http://{}/jwks.json", sim.handle.addr());
    for (host, want) in [
        ("sim.test.example", 200),
        ("sim.test.example:443", 200),
        ("other.test.example", 421),
    ] {
        let r = sim.http.get(&url).header(HOST, host).send().await.unwrap();
        assert_eq!(r.status().as_u16(), want, "Host {host}");
    }
}

#[tokio::test]
async fn an_admin_post_that_is_not_json_is_refused_and_has_no_effect() {
    let sim = sim().await;
    let body = r#"{"endpoint":"token","kind":"status","status":503,"count":1}"#;
    for (path, content_type) in [
        ("/sim/admin/faults", Some("text/plain")),
        (
            "/sim/admin/faults",
            Some("application/x-www-form-urlencoded"),
        ),
        ("/sim/admin/faults", None),
        ("/sim/admin/forge", Some("text/plain")),
        ("/sim/admin/clock", Some("text/plain;charset=UTF-8")),
        ("/sim/admin/keys/publish", Some("text/plain")),
        ("/sim/admin/keys/retire", None),
    ] {
        let mut r = sim.http.post(sim.url(path)).body(body);
        if let Some(ct) = content_type {
            r = r.header(CONTENT_TYPE, ct);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 415, "{path} {content_type:?}");
        assert!(r.text().await.unwrap().contains("application/json"));
    }
    assert!(sim.handle.faults().armed().is_empty(), "no fault was armed");
    let (_, keys) = json_of(sim.get(&sim.url("/sim/admin/keys")).await).await;
    assert_eq!(
        keys["published"].as_array().unwrap().len(),
        1,
        "no key published"
    );
    assert_eq!(sim.handle.clock().offset(), 0);
    // The same request as JSON works.
    let r = sim
        .http
        .post(sim.url("/sim/admin/faults"))
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(sim.handle.faults().armed().len(), 1);
}
