//! The browser's callback request is held until the flow knows the outcome: "logged in" only when it is true.

use super::common::*;
use idporten_desktop::{Error, ListenerOptions, LoopbackListener, RedirectUri, State};
use std::time::Duration;

async fn code_arrives(l: &mut LoopbackListener) -> tokio::task::JoinHandle<Answer> {
    let url = at(l, "/cb?code=the-code&state=s1");
    let page = tokio::spawn(get_owned(url));
    let cb = l
        .wait_for_callback(&State::new("s1"), &issuer(), &mut no_tick())
        .await
        .unwrap();
    assert_eq!(cb.code.secret(), "the-code");
    page
}

#[tokio::test]
async fn the_page_waits_for_the_outcome_and_then_says_what_failed() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let page = code_arrives(&mut l).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !page.is_finished(),
        "no page before the code is exchanged and the session stored"
    );
    l.finish_login(Err(&Error::IdTokenNonce));
    let a = page.await.unwrap();
    assert_eq!(a.status, 400);
    assert!(!a.body.contains("You are logged in"), "{}", a.body);
    assert!(
        a.body.contains("ID-tokenet besto ikke kontrollen")
            && a.body.contains("The ID token failed the checks")
            && a.body.contains("nonce"),
        "{}",
        a.body
    );
    assert!(!a.body.contains("the-code"));
    l.shutdown().await;
}

#[tokio::test]
async fn success_is_shown_only_after_finish_login() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let page = code_arrives(&mut l).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!page.is_finished());
    l.finish_login(Ok(()));
    let a = page.await.unwrap();
    assert_eq!(a.status, 200);
    assert!(
        a.body.contains("Du er logget inn") && a.body.contains("checked and stored"),
        "{}",
        a.body
    );
    l.shutdown().await;
}

#[tokio::test]
async fn a_slow_flow_gets_a_still_working_page_and_a_stopped_flow_a_failure() {
    let uri = RedirectUri::parse("http://127.0.0.1:0/cb").unwrap();
    let opts = ListenerOptions {
        answer_timeout: Duration::from_millis(500),
        ..options()
    };
    let mut l = LoopbackListener::bind(&uri, opts).await.unwrap();
    let page = code_arrives(&mut l).await;
    let a = page.await.unwrap();
    assert_eq!(a.status, 202);
    assert!(
        a.body.contains("still checking") && a.body.contains("kontrollerer"),
        "{}",
        a.body
    );
    l.shutdown().await;

    // Shut down without an outcome: the browser hears that the program stopped, not that it is logged in.
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let page = code_arrives(&mut l).await;
    l.shutdown().await;
    let a = page.await.unwrap();
    assert_eq!(a.status, 400);
    assert!(a.body.contains("The program stopped"), "{}", a.body);
}
