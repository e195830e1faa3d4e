//! The provider rotates its signing key (against the simulator): a key unknown to this client always earns one
//! refetch of the JWKS, even right after the first fetch; only repeated refetches wait a minute.

use idporten_desktop::Error;
use std::sync::Arc;

use crate::common::real_now;
use crate::sim_session::{config, headless_login, seams, start_sim};

#[tokio::test]
async fn a_key_rotated_right_after_the_first_fetch_is_found_by_one_refetch() {
    let sim = start_sim().await;
    let clock = Arc::new(idporten_desktop::ManualClock::new(real_now()));
    let client = idporten_desktop::Client::discover(config(&sim), seams(&clock))
        .await
        .unwrap();
    headless_login(&client).await.unwrap();
    assert_eq!(client.jwks().fetch_count(), 1);

    // Two seconds after the first fetch the provider signs with a new key: one refetch finds it.
    sim.rotate_keys().await.unwrap();
    clock.advance(2);
    headless_login(&client)
        .await
        .expect("a rotation right after the first fetch does not fail the login");
    assert_eq!(client.jwks().fetch_count(), 2);

    // Another rotation within the minute: the second refetch waits, and the message names the kid itself.
    let kid = sim.rotate_keys().await.unwrap();
    clock.advance(2);
    let r = headless_login(&client).await;
    let Err(e @ Error::UnknownSigningKey { .. }) = r else {
        panic!("{r:?}")
    };
    let text = e.to_string();
    assert!(
        text.contains(&format!("\"{kid}\"")) && !text.contains("Some("),
        "{text}"
    );
    assert_eq!(client.jwks().fetch_count(), 2, "rate limited");

    // A minute after the last refetch, the next one is made.
    clock.advance(60);
    headless_login(&client).await.unwrap();
    assert_eq!(client.jwks().fetch_count(), 3);
}
