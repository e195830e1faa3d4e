//! Discovery against the simulator: exact issuer, disk cache, clear errors for a provider down or failing; and
//! against tiny servers that answer what no provider should (not JSON, a redirect).

use idporten_desktop::{Client, Error, Http, Issuer, Seams};

use crate::common::{clock, seams, sim_config, sim_with, start_sim};

#[tokio::test]
async fn discovered_issuer_must_equal_the_configured_one() {
    // The simulator publishes another issuer than the URL the client was configured with.
    let mut config = sim::SimConfig::default();
    config.sim.issuer = Some("http://127.0.0.1:1".into());
    let sim = sim_with(config).await;
    let mut client_config = sim_config(&sim);
    client_config.issuer = Issuer::parse(&format!("http://{}", sim.addr())).unwrap();
    let err = Client::discover(client_config, seams(&clock()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IssuerMismatch { .. }), "{err}");
}

#[tokio::test]
async fn the_disk_cache_spares_a_second_discovery_for_24_hours() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let seams = Seams {
        cache_dir: Some(dir.path().join("cache")),
        ..seams(&clock)
    };
    Client::discover(sim_config(&sim), seams.clone())
        .await
        .unwrap();
    Client::discover(sim_config(&sim), seams.clone())
        .await
        .unwrap();
    assert_eq!(sim.stats()["discovery_requests"], 1);
    clock.advance(24 * 3600);
    Client::discover(sim_config(&sim), seams).await.unwrap();
    assert_eq!(
        sim.stats()["discovery_requests"],
        2,
        "a stale cache is refreshed"
    );
}

#[tokio::test]
async fn a_provider_that_is_down_gives_an_error_naming_the_url() {
    let sim = start_sim().await;
    let config = sim_config(&sim);
    sim.shutdown().await;
    let err = Client::discover(config, seams(&clock())).await.unwrap_err();
    assert!(matches!(err, Error::ProviderUnreachable { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("/.well-known/openid-configuration"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failing_provider_is_a_clear_error() {
    let sim = start_sim().await;
    sim.faults().fail_next("discovery", 503, 1).unwrap();
    let err = Client::discover(sim_config(&sim), seams(&clock()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ProviderStatus { status: 503, .. }),
        "{err}"
    );
}

/// A tiny server answering every request with a fixed status and body.
async fn fixed(status: u16, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .fallback(move || async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn http_500_and_not_json_are_clear_errors() {
    let issuer = Issuer::parse(&fixed(500, "boom").await).unwrap();
    let err = idporten_desktop::discovery::discover(&Http::new().unwrap(), &issuer, None, 0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ProviderStatus { status: 500, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("HTTP 500") && err.to_string().contains(issuer.as_str()),
        "{err}"
    );

    let issuer = Issuer::parse(&fixed(200, "<html>hello</html>").await).unwrap();
    let err = idporten_desktop::discovery::discover(&Http::new().unwrap(), &issuer, None, 0)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ProviderResponse { .. }), "{err}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::FOUND,
            [("location", "http://127.0.0.1:1/elsewhere")],
            "",
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let issuer = Issuer::parse(&format!("http://{addr}")).unwrap();
    let err = idporten_desktop::discovery::discover(&Http::new().unwrap(), &issuer, None, 0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ProviderStatus { status: 302, .. }),
        "{err}"
    );
}
