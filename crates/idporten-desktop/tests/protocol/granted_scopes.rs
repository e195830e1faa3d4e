//! The scopes granted are checked after the login: a VAT scope asked for and not granted fails the login, stores
//! nothing, and the browser's page says what to do. The provider here (tests/provider) withholds a scope, which the
//! simulator never does: it refuses the whole login with invalid_scope instead, as ID-porten does.

use idporten_desktop::{
    load_tokens, login, Client, Error, FileTokenStore, ListenerOptions, RedirectUri, StoreKey,
};
use std::time::Duration;

use crate::common::{clock, config, seams, ScriptedBrowser};
use crate::provider::{Knobs, Provider, CLIENT_ID};

#[tokio::test]
async fn a_vat_scope_the_provider_did_not_grant_fails_the_login_and_stores_nothing() {
    let provider = Provider::start(Knobs {
        withheld_scopes: vec!["skatteetaten:mvameldinginnsending".into()],
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let mut config = config(&provider);
    config.redirect_uri = RedirectUri::parse("http://127.0.0.1:0/callback").unwrap();
    config.scopes = idporten_desktop::integration::VAT_SCOPES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let client = Client::discover(config, seams(&clock)).await.unwrap();
    let browser = ScriptedBrowser::default();
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("tokens"));
    let key = StoreKey::new(
        provider.issuer(),
        idporten_desktop::ClientId::new(CLIENT_ID),
    );
    let options = ListenerOptions {
        timeout: Duration::from_secs(20),
        ..ListenerOptions::default()
    };
    let r = login(&client, &browser, &options, &store, &key, |_| {}).await;
    let e = r.unwrap_err();
    assert!(
        matches!(&e, Error::ScopeNotGranted { missing, .. } if missing == &["skatteetaten:mvameldinginnsending"]),
        "{e:?}"
    );
    assert!(e.to_string().contains("Samarbeidsportalen"), "{e}");
    assert!(load_tokens(&store, &key).await.unwrap().is_none());
    let mut page = None;
    for _ in 0..200 {
        if let Some(f) = browser.finals.lock().unwrap().first() {
            page = Some(f.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (status, html) = page.expect("the browser got its final page");
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("Samarbeidsportalen"), "{html}");
}
