//! Redis paused, restarted, or not there yet: typed errors within 2 s, never a hang or a panic, and recovery
//! without help.

use super::support::{instance, redis_store, sample, RedisServer};
use std::time::{Duration, Instant};
use web::{Limits, RefreshOptions, SessionKeys, SessionStore, Sessions, StoreError};

const WITHIN: Duration = Duration::from_secs(2);

fn assert_unavailable<T: std::fmt::Debug>(
    what: &str,
    result: Result<T, StoreError>,
    started: Instant,
) {
    let elapsed = started.elapsed();
    match result {
        Err(e @ StoreError::Unavailable { .. }) => {
            assert_eq!(e.status(), http::StatusCode::SERVICE_UNAVAILABLE)
        }
        other => panic!("{what}: expected 'store unavailable', got {other:?}"),
    }
    assert!(elapsed < WITHIN, "{what}: the error took {elapsed:?}");
}

/// Retries `load` until it answers, for at most `limit`; the error kinds seen meanwhile must be 'unavailable'.
async fn until_answering(
    sessions: &Sessions,
    reference: &web::SessionRef,
    limit: Duration,
) -> Option<web::Session> {
    let deadline = Instant::now() + limit;
    loop {
        let started = Instant::now();
        match sessions.load(reference).await {
            Ok(found) => return found,
            Err(e) => {
                assert!(matches!(e, StoreError::Unavailable { .. }), "{e:?}");
                assert!(started.elapsed() < WITHIN);
                assert!(
                    Instant::now() < deadline,
                    "Redis is back but the store has not recovered: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_is_an_error_within_2_s_and_everything_works_again_after() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let sessions = instance(&redis, &keys, Limits::default());
    let (session, cookie) = sessions
        .create(sample("paused", Some("sid-paused")))
        .await
        .unwrap();
    let reference = sessions.open_cookie(cookie.secret()).unwrap();

    redis.pause();
    let started = Instant::now();
    assert_unavailable("load", sessions.load(&reference).await, started);
    let started = Instant::now();
    assert_unavailable(
        "create",
        sessions.create(sample("during", None)).await.map(|_| ()),
        started,
    );
    let started = Instant::now();
    assert_unavailable(
        "save",
        sessions
            .save(&session, session.data.clone())
            .await
            .map(|_| ()),
        started,
    );
    let started = Instant::now();
    assert_unavailable("ping", sessions.store().ping().await, started);
    let started = Instant::now();
    let refreshed = sessions
        .refresh_once(&session, &RefreshOptions::default(), |_| async {
            panic!("never called while the store is unavailable");
            #[allow(unreachable_code)]
            Err(web::ProviderFailure::NotSpent(String::new()))
        })
        .await;
    match refreshed {
        Err(web::RefreshError::Store(e)) => assert_unavailable("refresh", Err::<(), _>(e), started),
        other => panic!("refresh: {other:?}"),
    }

    redis.resume();
    let back = until_answering(&sessions, &reference, Duration::from_secs(5))
        .await
        .expect("the session is intact");
    assert_eq!(back.data, session.data);
    sessions.store().ping().await.unwrap();
    assert_eq!(
        sessions
            .delete_by_sid(&web::Sid::new("sid-paused"))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_redis_without_persistence_means_no_session_not_a_panic() {
    let mut redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let sessions = instance(&redis, &keys, Limits::default());
    let (_, cookie) = sessions.create(sample("restart", None)).await.unwrap();
    let reference = sessions.open_cookie(cookie.secret()).unwrap();

    redis.restart();
    assert!(
        until_answering(&sessions, &reference, Duration::from_secs(5))
            .await
            .is_none(),
        "a clean 'no session'"
    );
    let (_, cookie) = sessions
        .create(sample("after", None))
        .await
        .expect("new logins work");
    let reference = sessions.open_cookie(cookie.secret()).unwrap();
    assert!(sessions.load(&reference).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_is_not_up_yet_is_an_error_until_it_is() {
    let mut redis = RedisServer::start();
    let store = redis_store(&redis);
    store.ping().await.unwrap();
    // Down: nothing listens on the port.
    redis.stop();
    let started = Instant::now();
    assert_unavailable("ping while down", store.ping().await, started);
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.ping().await.is_err() {
        assert!(Instant::now() < deadline, "the store did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
