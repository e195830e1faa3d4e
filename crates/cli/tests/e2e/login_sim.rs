//! `mva login` and friends against the simulator, and the failures a user can hit: port taken, timeout, provider
//! down or failing. Nothing is lost in any of them.

use crate::harness::{Home, Sim, PERSON};

/// The simulator's built-in web client with refresh tokens (client_secret_basic: `Home::web_client()` sends its
/// secret); registered with `http://127.0.0.1:0/callback`.
const CLIENT: &str = sim::REFRESH_TEST_CLIENT_ID;
const REDIRECT: &str = "http://127.0.0.1:0/callback";

fn login(home: &Home, sim: &Sim) -> crate::harness::Run {
    home.run(&[
        "login",
        "--issuer",
        &sim.issuer(),
        "--client-id",
        CLIENT,
        "--redirect-uri",
        REDIRECT,
        "--browser-command",
        &Sim::headless_browser(PERSON),
        "--timeout",
        "30",
    ])
}

#[test]
fn login_token_whoami_logout_local() {
    let sim = Sim::start();
    let home = Home::web_client();
    let run = login(&home, &sim).expect(0);
    assert!(
        run.stderr().contains("018185*****"),
        "the person, masked: {}",
        run.stderr()
    );
    assert!(
        !run.stderr().contains(PERSON),
        "the pid is masked by default"
    );

    let token = home.run(&["token"]).expect(0).stdout();
    assert_eq!(
        token.trim().split('.').count(),
        3,
        "the sim's access token is a JWT"
    );

    let json: serde_json::Value =
        serde_json::from_str(&home.run(&["token", "--json"]).expect(0).stdout()).unwrap();
    assert_eq!(json["access_token"].as_str().unwrap(), token.trim());

    let who = home.run(&["whoami"]).expect(0).stdout();
    assert!(
        who.contains("018185*****") && !who.contains(PERSON),
        "{who}"
    );
    assert!(who.contains("skatteetaten:mvameldinginnsending"), "{who}");
    let who = home.run(&["whoami", "--show-pid"]).expect(0).stdout();
    assert!(who.contains(PERSON), "{who}");

    // A fresh stored token needs no network: with the provider gone, `mva token` still answers.
    drop(sim);
    assert_eq!(home.run(&["token"]).expect(0).stdout(), token);

    home.run(&["logout", "--local"]).expect(0);
    assert!(home.token_files().is_empty());
    let run = home.run(&["token"]).expect(3);
    // The library says what happened; the command line adds how to fix it with mva.
    assert!(
        run.stderr().contains("log in first") && run.stderr().contains("help: run `mva login`"),
        "{}",
        run.stderr()
    );
}

/// The quick path of `mva token` (no async runtime, the logger built only when a line is printed) still warns:
/// a token file that others can read is narrowed to 0600, and the user is told.
#[cfg(unix)]
#[test]
fn a_token_file_open_to_others_is_narrowed_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Sim::start();
    let home = Home::web_client();
    login(&home, &sim).expect(0);
    let quiet = home.run(&["token"]).expect(0);
    assert_eq!(quiet.stderr(), "", "nothing to say about a private file");
    let files = home.token_files();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::set_permissions(&files[0], std::fs::Permissions::from_mode(0o644)).unwrap();

    let run = home.run(&["token"]).expect(0);
    assert_eq!(run.stdout(), quiet.stdout(), "the same stored token");
    assert!(
        run.stderr().contains("WARN")
            && run
                .stderr()
                .contains("a token file was open to others; narrowing it to 0600"),
        "{}",
        run.stderr()
    );
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_taken_port_names_the_port_and_the_redirect_uri() {
    let sim = Sim::start();
    let home = Home::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let run = home
        .run(&[
            "login",
            "--issuer",
            &sim.issuer(),
            "--client-id",
            CLIENT,
            "--redirect-uri",
            &redirect,
            "--no-browser",
        ])
        .expect(4);
    let err = run.stderr();
    assert!(
        err.contains(&port.to_string()) && err.contains(&redirect),
        "{err}"
    );
}

#[test]
fn a_login_nobody_completes_times_out() {
    let sim = Sim::start();
    let home = Home::new();
    let run = home
        .run(&[
            "login",
            "--issuer",
            &sim.issuer(),
            "--client-id",
            CLIENT,
            "--redirect-uri",
            REDIRECT,
            "--no-browser",
            "--timeout",
            "2",
        ])
        .expect(4);
    assert!(run.stderr().contains("within 2"), "{}", run.stderr());
    assert!(
        run.stderr().contains("/authorize?"),
        "the URL is printed: {}",
        run.stderr()
    );
}

#[test]
fn a_provider_that_is_down_is_a_clear_error() {
    let home = Home::new();
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let run = home
        .run(&["login", "--issuer", &issuer, "--no-browser"])
        .expect(5);
    assert!(run.stderr().contains(&issuer), "{}", run.stderr());
}

#[test]
fn a_failing_token_endpoint_during_refresh_loses_nothing() {
    let sim = Sim::start();
    let home = Home::web_client();
    login(&home, &sim).expect(0);
    let stored = home.session();
    home.expire_access_token();
    sim.handle().faults().fail_next("token", 500, 1).unwrap();
    let run = home.run(&["token"]).expect(5);
    assert!(run.stderr().contains("500"), "{}", run.stderr());
    assert_eq!(
        home.session()["refresh_token"],
        stored["refresh_token"],
        "the tokens are kept"
    );
    // Once the provider is back, the same session refreshes.
    home.run(&["token"]).expect(0);
}

#[test]
fn mva_sim_prints_its_endpoints_serves_them_and_stops_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let home = Home::new();
    let mut child = home
        .mva(&["sim", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Stop it");
        printed.push(line);
        if done {
            break;
        }
    }
    let issuer = printed
        .iter()
        .find_map(|l| l.strip_prefix("issuer"))
        .map(|s| s.trim().to_string())
        .expect("the issuer is printed");
    for name in ["discovery", "authorize", "token", "jwks", "logout", "par"] {
        assert!(
            printed.iter().any(|l| l.starts_with(name)),
            "{name} missing in {printed:?}"
        );
    }
    let discovery: serde_json::Value =
        reqwest::blocking::get(format!("{issuer}/.well-known/openid-configuration"))
            .unwrap()
            .json()
            .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());

    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "Ctrl-C is a clean stop: {status}");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "mva sim did not stop on Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
