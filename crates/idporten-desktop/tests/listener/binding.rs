//! Binding the redirect URI: port 0, fixed ports, `localhost` on both loopback addresses, taken ports, bad options.

use super::common::*;
use idporten_desktop::{Error, ListenerOptions, LoopbackListener, RedirectUri};

#[tokio::test]
async fn a_taken_port_is_reported_with_the_port_and_the_uri() {
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    let uri = RedirectUri::parse(&format!("http://localhost:{port}/token")).unwrap();
    let e = LoopbackListener::bind(&uri, ListenerOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::PortInUse { port: p, .. } if p == port),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("port {port}"))
            && text.contains(&format!("http://localhost:{port}/token")),
        "{text}"
    );
    assert!(text.contains("close the other program"), "{text}");
}

#[tokio::test]
async fn a_port_taken_only_on_ipv6_loopback_is_also_in_use() {
    if !ipv6_loopback_available() {
        eprintln!("note: this machine has no IPv6 loopback; skipped");
        return;
    }
    let other = std::net::TcpListener::bind("[::1]:0").unwrap();
    let port = other.local_addr().unwrap().port();
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        eprintln!("note: port {port} is taken on 127.0.0.1 as well; skipped");
        return;
    }
    let uri = RedirectUri::parse(&format!("http://localhost:{port}/token")).unwrap();
    let e = LoopbackListener::bind(&uri, ListenerOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::PortInUse { port: p, .. } if p == port),
        "{e:?}"
    );
    // With port 0 a port free on both addresses is found instead.
    let l = bind("http://localhost:0/token").await;
    let port = l.redirect_uri().url().port().unwrap();
    assert_ne!(port, 0);
    assert!(
        l.local_addrs().iter().all(|a| a.port() == port) && l.local_addrs().len() == 2,
        "{:?}",
        l.local_addrs()
    );
}

#[tokio::test]
async fn localhost_on_a_fixed_port_answers_on_both_loopback_addresses() {
    let _turn = PROCESSES_OR_FIXED_PORTS.lock().await;
    let port = free_port();
    let mut l = bind(&format!("http://localhost:{port}/auth/loginsuccess")).await;
    assert_eq!(
        l.redirect_uri().as_str(),
        format!("http://localhost:{port}/auth/loginsuccess")
    );
    let ips: Vec<_> = l.local_addrs().iter().map(|a| a.ip().to_string()).collect();
    assert!(ips.contains(&"127.0.0.1".to_string()), "{ips:?}");
    let v6 = ipv6_loopback_available();
    if v6 {
        assert!(ips.contains(&"::1".to_string()), "{ips:?}");
    } else {
        eprintln!(
            "note: this machine has no IPv6 loopback; the [::1] half of this test is skipped"
        );
    }
    let via_v6 = format!("http://[::1]:{port}/auth/loginsuccess?code=x&state=stale");
    let via_v4 = format!("http://127.0.0.1:{port}/auth/loginsuccess?code=good&state=s1");
    let browser = async {
        if v6 {
            let image = [("sec-fetch-mode", "no-cors"), ("sec-fetch-dest", "image")];
            assert_eq!(
                get_with(&via_v6, &image).await.status,
                403,
                "[::1] answers too"
            );
        }
        get(&via_v4).await.status
    };
    let (result, status) = tokio::join!(wait_cb(&mut l, "s1"), browser);
    assert_eq!(result.unwrap().code.secret(), "good");
    assert_eq!(status, 200);
    // After shutdown the port is free again, on both addresses.
    l.shutdown().await;
    let again = bind(&format!("http://localhost:{port}/auth/loginsuccess")).await;
    assert_eq!(again.local_addrs().len(), if v6 { 2 } else { 1 });
}

/// `mva login` twice in a row binds the same registered port again at once: `shutdown` must return only when the
/// listening sockets (and the browser's kept-alive connection) are closed. 50 rounds on one fixed port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_port_is_bound_served_shut_down_and_bound_again_50_times() {
    let _turn = PROCESSES_OR_FIXED_PORTS.lock().await;
    let port = free_port();
    let uri = format!("http://localhost:{port}/auth/loginsuccess");
    for round in 0..50 {
        // The browser keeps its connection alive after the page: shutdown must close it too.
        let browser = client();
        let mut l = LoopbackListener::bind(&RedirectUri::parse(&uri).unwrap(), options())
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let url = format!("http://127.0.0.1:{port}/auth/loginsuccess?code=c{round}&state=s{round}");
        let get = async { browser.get(&url).send().await.unwrap().status().as_u16() };
        let state = format!("s{round}");
        let (result, status) = tokio::join!(wait_cb(&mut l, &state), get);
        assert_eq!(result.unwrap().code.secret(), format!("c{round}"));
        assert_eq!(status, 200, "round {round}");
        l.shutdown().await;
        drop(browser);
    }
}

#[tokio::test]
async fn bad_options_are_refused() {
    let uri = RedirectUri::parse("http://127.0.0.1:0/cb").unwrap();
    let same = ListenerOptions {
        cancel_path: Some("/cb".into()),
        ..ListenerOptions::default()
    };
    let e = LoopbackListener::bind(&uri, same).await.unwrap_err();
    assert!(e.to_string().contains("must differ"), "{e}");
    let relative = ListenerOptions {
        logout_path: Some("logout".into()),
        ..ListenerOptions::default()
    };
    assert!(LoopbackListener::bind(&uri, relative).await.is_err());
    let https = RedirectUri::parse("https://app.example/cb").unwrap();
    let e = LoopbackListener::bind(&https, ListenerOptions::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("loopback"), "{e}");
}
