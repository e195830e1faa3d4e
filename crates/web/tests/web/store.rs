//! Sessions in both stores: expiry, the `sid` index, compare-and-set, and nothing readable in Redis.

use super::support::{instance, limits, sample, RedisServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use redis::AsyncCommands;
use std::sync::Arc;
use std::time::Duration;
use web::{Limits, MemoryStore, Saved, SessionKeys, SessionStore, Sessions, Sid, StoreError};

/// The same checks for both stores: Redis (two instances with their own connections) and memory (one).
async fn both(limits: Limits, check: impl AsyncFn(Sessions, Sessions)) {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    check(
        instance(&redis, &keys, limits),
        instance(&redis, &keys, limits),
    )
    .await;
    let memory: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let one = Sessions::new(memory, keys.clone(), limits);
    check(one.clone(), one).await;
}

#[tokio::test]
async fn an_idle_session_ends_and_a_used_one_lives_on() {
    both(limits(60_000, 800), async |a: Sessions, b: Sessions| {
        let (_, cookie) = a.create(sample("idle", None)).await.unwrap();
        let (_, unused_cookie) = a.create(sample("unused", None)).await.unwrap();
        let reference = a.open_cookie(cookie.secret()).unwrap();
        let unused = a.open_cookie(unused_cookie.secret()).unwrap();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert!(
                b.load(&reference).await.unwrap().is_some(),
                "use restarts the idle timeout"
            );
        }
        assert!(
            a.load(&unused).await.unwrap().is_none(),
            "idle for 1.2 s > 0.8 s"
        );
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert!(a.load(&reference).await.unwrap().is_none(), "idle now too");
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_much_it_is_used() {
    both(limits(2_000, 800), async |a: Sessions, b: Sessions| {
        let (session, cookie) = a.create(sample("absolute", None)).await.unwrap();
        let reference = a.open_cookie(cookie.secret()).unwrap();
        while time::OffsetDateTime::now_utc() + time::Duration::milliseconds(300)
            < session.ends_at()
        {
            assert!(b.load(&reference).await.unwrap().is_some());
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            b.load(&reference).await.unwrap().is_none(),
            "2 s absolute lifetime is over"
        );
    })
    .await;
}

#[tokio::test]
async fn redis_ttl_is_the_lesser_of_idle_and_remaining_absolute_lifetime() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let mut raw = redis.raw().await;
    let sessions = instance(&redis, &keys, limits(3_000, 2_000));
    let (session, cookie) = sessions.create(sample("ttl", None)).await.unwrap();
    let key = format!("mva:s:{}", session.reference().id().storage_key());
    let ttl: i64 = raw.pttl(&key).await.unwrap();
    assert!(
        (1_500..=2_000).contains(&ttl),
        "idle bounds it first: {ttl}"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    sessions
        .load(&sessions.open_cookie(cookie.secret()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let ttl: i64 = raw.pttl(&key).await.unwrap();
    assert!(
        (1_000..=1_500).contains(&ttl),
        "then what is left of the absolute lifetime: {ttl}"
    );
}

#[tokio::test]
async fn ending_a_sid_ends_every_session_of_it_on_every_instance() {
    both(Limits::default(), async |a: Sessions, b: Sessions| {
        let mut of_sid = Vec::new();
        for (store, tag) in [(&a, "one"), (&b, "two"), (&a, "three")] {
            let (_, cookie) = store
                .create(sample(tag, Some("idporten-sid-A")))
                .await
                .unwrap();
            of_sid.push(a.open_cookie(cookie.secret()).unwrap());
        }
        let (_, other) = b
            .create(sample("other", Some("idporten-sid-B")))
            .await
            .unwrap();
        let other = a.open_cookie(other.secret()).unwrap();
        let (_, no_sid) = b.create(sample("nosid", None)).await.unwrap();
        let no_sid = a.open_cookie(no_sid.secret()).unwrap();

        // One of them logs out by itself first: it leaves the index.
        assert!(a.delete(&of_sid[2]).await.unwrap());
        assert!(!a.delete(&of_sid[2]).await.unwrap(), "gone already");

        assert_eq!(
            b.delete_by_sid(&Sid::new("idporten-sid-A")).await.unwrap(),
            2
        );
        for reference in &of_sid {
            assert!(a.load(reference).await.unwrap().is_none());
        }
        assert!(
            a.load(&other).await.unwrap().is_some(),
            "another sid is untouched"
        );
        assert!(a.load(&no_sid).await.unwrap().is_some());
        assert_eq!(
            a.delete_by_sid(&Sid::new("idporten-sid-A")).await.unwrap(),
            0,
            "twice is harmless"
        );
        assert_eq!(
            a.delete_by_sid(&Sid::new("never-seen\r\n*0 ../"))
                .await
                .unwrap(),
            0,
            "hostile sid"
        );
    })
    .await;
}

#[tokio::test]
async fn a_save_succeeds_only_on_the_version_it_read() {
    both(Limits::default(), async |a: Sessions, b: Sessions| {
        let (session, cookie) = a.create(sample("cas", None)).await.unwrap();
        let reference = b.open_cookie(cookie.secret()).unwrap();
        let mut changed = session.data.clone();
        changed.tokens.scope = "openid".into();
        let Saved::Written(saved) = b.save(&session, changed.clone()).await.unwrap() else {
            panic!("first save")
        };
        assert_eq!(saved.version(), session.version() + 1);
        assert!(
            matches!(
                a.save(&session, session.data.clone()).await.unwrap(),
                Saved::Changed
            ),
            "stale"
        );
        assert_eq!(a.load(&reference).await.unwrap().unwrap().data, changed);
        a.delete(&reference).await.unwrap();
        assert!(matches!(
            b.save(&saved, changed).await.unwrap(),
            Saved::Gone
        ));
    })
    .await;
}

#[tokio::test]
async fn redis_holds_no_token_or_secret_in_clear() {
    let redis = RedisServer::start();
    let keys_text = SessionKeys::new_key_text();
    let keys = SessionKeys::parse(&keys_text).unwrap();
    let sessions = instance(&redis, &keys, Limits::default());
    let mut cookies = Vec::new();
    for i in 0..5 {
        let (session, cookie) = sessions
            .create(sample(&format!("scan{i}"), Some("sid-scan")))
            .await
            .unwrap();
        let mut data = session.data.clone();
        data.tokens.scope = format!("scope-scan{i}");
        sessions.save(&session, data).await.unwrap();
        cookies.push(cookie);
    }
    let mut raw = redis.raw().await;
    let mut everything: Vec<Vec<u8>> = Vec::new();
    let keys_in_redis: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        keys_in_redis.len() >= 6,
        "five sessions and a sid index: {keys_in_redis:?}"
    );
    for key in keys_in_redis {
        everything.push(key.clone().into_bytes());
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut raw)
            .await
            .unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "hash" => raw
                .hgetall::<_, Vec<(Vec<u8>, Vec<u8>)>>(&key)
                .await
                .unwrap()
                .into_iter()
                .flat_map(|(f, v)| [f, v])
                .collect(),
            "set" => raw.smembers(&key).await.unwrap(),
            "string" => vec![raw.get(&key).await.unwrap()],
            other => panic!("unexpected {other} at {key}"),
        };
        everything.extend(values);
    }
    let mut needles: Vec<String> = vec![keys_text.clone(), "01017012345".into(), "sid-scan".into()];
    for i in 0..5 {
        for secret in ["access", "refresh", "idtoken", "scope"] {
            needles.push(format!("{secret}-scan{i}"));
        }
    }
    needles.extend(cookies.iter().map(|c| c.secret().to_owned()));
    let needles: Vec<Vec<u8>> = needles
        .iter()
        .flat_map(|n| {
            [
                n.clone(),
                STANDARD.encode(n),
                URL_SAFE.encode(n),
                URL_SAFE_NO_PAD.encode(n),
            ]
            .into_iter()
            .map(|s| s.trim_end_matches('=').as_bytes().to_vec())
        })
        .collect();
    for blob in &everything {
        for needle in &needles {
            assert!(
                !blob.windows(needle.len()).any(|w| w == needle.as_slice()),
                "Redis holds {:?} in clear",
                String::from_utf8_lossy(needle)
            );
        }
    }
    // The needles are really what a clear store would hold: the same data in JSON contains them.
    let clear = serde_json::to_vec(&sample("scan0", Some("sid-scan"))).unwrap();
    assert!(clear
        .windows(b"access-scan0".len())
        .any(|w| w == b"access-scan0"));
}

#[tokio::test]
async fn a_record_altered_in_redis_is_refused_and_dropped() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let sessions = instance(&redis, &keys, Limits::default());
    let (session, cookie) = sessions.create(sample("altered", None)).await.unwrap();
    let (other, _) = sessions.create(sample("donor", None)).await.unwrap();
    let mut raw = redis.raw().await;
    let key = format!("mva:s:{}", session.reference().id().storage_key());
    let donor = format!("mva:s:{}", other.reference().id().storage_key());
    // Another session's sealed data moved under this key: sealed under another data key.
    let moved: Vec<u8> = raw.hget(&donor, "d").await.unwrap();
    let _: () = raw.hset(&key, "d", moved).await.unwrap();
    let reference = sessions.open_cookie(cookie.secret()).unwrap();
    let err = sessions.load(&reference).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(err.status(), http::StatusCode::UNAUTHORIZED);
    assert!(
        sessions.load(&reference).await.unwrap().is_none(),
        "dropped"
    );
    // A version that is not a number.
    let (session, cookie) = sessions.create(sample("badversion", None)).await.unwrap();
    let key = format!("mva:s:{}", session.reference().id().storage_key());
    let _: () = raw.hset(&key, "v", "x").await.unwrap();
    let reference = sessions.open_cookie(cookie.secret()).unwrap();
    let err = sessions.load(&reference).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(
        sessions.load(&reference).await.unwrap().is_none(),
        "dropped"
    );
    // A lifetime that is not a number, or missing: read as no session, never a store failure.
    for (field, value) in [("a", Some("soon")), ("i", None), ("d", None)] {
        let (session, cookie) = sessions.create(sample("badfield", None)).await.unwrap();
        let key = format!("mva:s:{}", session.reference().id().storage_key());
        match value {
            Some(value) => raw.hset::<_, _, _, ()>(&key, field, value).await.unwrap(),
            None => raw.hdel::<_, _, ()>(&key, field).await.unwrap(),
        }
        let reference = sessions.open_cookie(cookie.secret()).unwrap();
        assert!(
            sessions.load(&reference).await.unwrap().is_none(),
            "{field}"
        );
        let exists: bool = raw.exists(&key).await.unwrap();
        assert!(!exists, "{field}: dropped");
    }
}
