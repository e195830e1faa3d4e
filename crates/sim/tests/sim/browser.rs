//! `browser` clients (single-page applications): public, PKCE, CORS on `/token`, `/jwks.json` and discovery for
//! the origins of their redirect URIs only, never with credentials, and no refresh tokens.

use crate::support::*;

async fn preflight(sim: &Sim, path: &str, origin: &str) -> reqwest::Response {
    sim.http
        .request(reqwest::Method::OPTIONS, sim.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap()
}

fn cors_headers(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn preflight_from_the_registered_origin_is_allowed_without_credentials() {
    let sim = sim().await;
    for path in ["/token", "/jwks.json", "/.well-known/openid-configuration"] {
        let r = preflight(&sim, path, SPA_ORIGIN).await;
        assert_eq!(r.status().as_u16(), 204, "{path}");
        assert_eq!(r.headers()["access-control-allow-origin"], SPA_ORIGIN);
        assert!(r
            .headers()
            .get("access-control-allow-credentials")
            .is_none());
    }
    let r = preflight(&sim, "/token", SPA_ORIGIN).await;
    assert_eq!(r.headers()["access-control-allow-methods"], "POST");
    // The actual request carries the header too, errors included (the page can read the error).
    let r = sim
        .http
        .post(sim.url("/token"))
        .header("Origin", SPA_ORIGIN)
        .form(&[("grant_type", "authorization_code"), ("code", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], SPA_ORIGIN);
    let r = sim
        .http
        .get(sim.url("/jwks.json"))
        .header("Origin", SPA_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], SPA_ORIGIN);
}

#[tokio::test]
async fn other_origins_and_other_paths_get_no_cors_headers() {
    let sim = sim().await;
    // Another origin, the origin of a web (confidential) client, and a lookalike of the SPA's origin.
    for origin in [
        "http://evil.example",
        "http://localhost:9100",
        "http://localhost:93000",
        "null",
    ] {
        let r = preflight(&sim, "/token", origin).await;
        assert_eq!(r.status().as_u16(), 403, "{origin}");
        assert!(
            cors_headers(&r).is_empty(),
            "{origin}: {:?}",
            cors_headers(&r)
        );
        let r = sim
            .http
            .get(sim.url("/jwks.json"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert!(cors_headers(&r).is_empty(), "{origin}");
    }
    // The SPA's own origin gets nothing on the paths a page must never call across sites.
    for path in ["/sim/admin/stats", "/authorize", "/logout", "/revoke"] {
        let r = preflight(&sim, path, SPA_ORIGIN).await;
        assert!(
            cors_headers(&r).is_empty(),
            "{path}: {:?}",
            cors_headers(&r)
        );
    }
}

#[tokio::test]
async fn a_browser_client_gets_no_refresh_token() {
    let sim = sim().await;
    let (_, t) = login(&sim, SPA_CLIENT, SPA_REDIRECT, "openid profile").await;
    assert!(t["access_token"].is_string(), "{t}");
    assert!(t["id_token"].is_string(), "{t}");
    assert!(t.get("refresh_token").is_none(), "{t}");
}

#[tokio::test]
async fn a_browser_client_without_pkce_is_refused() {
    let sim = sim().await;
    let auth = Auth::headless(SPA_CLIENT, SPA_REDIRECT, "openid")
        .without("code_challenge")
        .without("code_challenge_method");
    let r = sim.get(&auth.url(&sim)).await;
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(!location.contains("code="), "{} {location}", r.status());
    // And a code redeemed without the verifier is refused.
    let auth = Auth::headless(SPA_CLIENT, SPA_REDIRECT, "openid");
    let code = code_for(&sim, &auth).await;
    let (s, e) = sim
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", SPA_CLIENT),
                ("redirect_uri", SPA_REDIRECT),
            ],
        )
        .await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_request")),
        "{e}"
    );
}
