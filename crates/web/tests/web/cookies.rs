//! The session cookie: round trip, hostile values, key rotation.

use super::support::{instance, limits, sample, RedisServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use time::OffsetDateTime;
use web::{CookieError, Limits, SessionKeys, SessionRef};

#[tokio::test]
async fn a_session_round_trips_through_its_cookie() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let sessions = instance(&redis, &keys, Limits::default());
    let data = sample("roundtrip", Some("sid-1"));
    let (created, cookie) = sessions.create(data.clone()).await.unwrap();

    // Another instance with the same key finds it from the cookie alone.
    let other = instance(&redis, &keys, Limits::default());
    let reference = other.open_cookie(cookie.secret()).unwrap();
    let loaded = other.load(&reference).await.unwrap().expect("the session");
    assert_eq!(loaded.data, data);
    assert_eq!(loaded.version(), created.version());
    assert_eq!(loaded.ends_at(), created.ends_at());
    assert!(
        !format!("{cookie:?} {reference:?} {loaded:?}").contains("roundtrip"),
        "secrets stay out of Debug"
    );
}

#[tokio::test]
async fn tampered_truncated_foreign_and_junk_cookies_are_a_clean_401() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let sessions = instance(&redis, &keys, Limits::default());
    let (_, cookie) = sessions.create(sample("tamper", None)).await.unwrap();
    let value = cookie.secret().to_owned();
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();

    // Every single bit of the sealed bytes flipped.
    for i in 0..raw.len() {
        for bit in 0..8 {
            let mut bent = raw.clone();
            bent[i] ^= 1 << bit;
            let err = sessions
                .open_cookie(&URL_SAFE_NO_PAD.encode(&bent))
                .unwrap_err();
            assert_eq!(err, CookieError::NotAuthentic, "byte {i} bit {bit}");
            assert_eq!(err.status(), http::StatusCode::UNAUTHORIZED);
        }
    }
    // Every truncation, and one byte too many.
    for len in 0..value.len() {
        let err = sessions.open_cookie(&value[..len]).unwrap_err();
        assert!(
            matches!(err, CookieError::Malformed | CookieError::NotAuthentic),
            "length {len}: {err:?}"
        );
    }
    let mut longer = raw.clone();
    longer.push(0);
    assert_eq!(
        sessions
            .open_cookie(&URL_SAFE_NO_PAD.encode(&longer))
            .unwrap_err(),
        CookieError::Malformed
    );
    // Sealed by another server (another key).
    let foreign = instance(&redis, &SessionKeys::generate(), Limits::default());
    let (_, foreign_cookie) = foreign.create(sample("foreign", None)).await.unwrap();
    assert_eq!(
        sessions.open_cookie(foreign_cookie.secret()).unwrap_err(),
        CookieError::NotAuthentic
    );
    // Junk of every kind.
    let long = "A".repeat(100_000);
    for junk in [
        "",
        " ",
        "%%%",
        "a=b; c",
        "\u{0}\u{1}",
        "ÆØÅ",
        "null",
        long.as_str(),
    ] {
        assert!(sessions.open_cookie(junk).is_err(), "{junk:?}");
    }
}

#[tokio::test]
async fn an_expired_cookie_is_refused_even_if_the_store_still_had_the_session() {
    let keys = SessionKeys::generate();
    let now = OffsetDateTime::now_utc();
    let redis = RedisServer::start();
    let sessions = instance(&redis, &keys, limits(60_000, 60_000));
    let (session, cookie) = sessions.create(sample("expired", None)).await.unwrap();
    let ends = session.ends_at();
    assert!(SessionRef::open(
        cookie.secret(),
        &keys,
        ends - time::Duration::milliseconds(1)
    )
    .is_ok());
    assert_eq!(
        SessionRef::open(cookie.secret(), &keys, ends).unwrap_err(),
        CookieError::Expired
    );
    assert_eq!(
        SessionRef::open(cookie.secret(), &keys, now + time::Duration::hours(9)).unwrap_err(),
        CookieError::Expired
    );
    // A short session, for real: past its end the cookie is refused and the store has dropped it.
    let short = instance(&redis, &keys, limits(400, 400));
    let (_, cookie) = short.create(sample("short", None)).await.unwrap();
    let reference = short.open_cookie(cookie.secret()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        short.open_cookie(cookie.secret()).unwrap_err(),
        CookieError::Expired
    );
    assert!(short.load(&reference).await.unwrap().is_none());
}

#[tokio::test]
async fn keys_rotate_without_logging_anyone_out() {
    let redis = RedisServer::start();
    let old = SessionKeys::new_key_text();
    let new = SessionKeys::new_key_text();
    let before = instance(
        &redis,
        &SessionKeys::parse(&old).unwrap(),
        Limits::default(),
    );
    let (_, old_cookie) = before.create(sample("rotation-old", None)).await.unwrap();

    // Rotated: "new,old". Old cookies still open; new cookies are sealed with the new key.
    let rotated = instance(
        &redis,
        &SessionKeys::parse(&format!("{new},{old}")).unwrap(),
        Limits::default(),
    );
    let reference = rotated.open_cookie(old_cookie.secret()).unwrap();
    assert!(
        rotated.load(&reference).await.unwrap().is_some(),
        "logged in across the rotation"
    );
    let (_, new_cookie) = rotated.create(sample("rotation-new", None)).await.unwrap();
    assert_eq!(
        before.open_cookie(new_cookie.secret()).unwrap_err(),
        CookieError::NotAuthentic,
        "sealed with new"
    );

    // The previous key dropped: old cookies no longer open, new ones do.
    let retired = instance(
        &redis,
        &SessionKeys::parse(&new).unwrap(),
        Limits::default(),
    );
    assert_eq!(
        retired.open_cookie(old_cookie.secret()).unwrap_err(),
        CookieError::NotAuthentic
    );
    assert!(retired.open_cookie(new_cookie.secret()).is_ok());
}
