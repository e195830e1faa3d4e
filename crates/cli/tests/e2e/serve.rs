//! `mva serve --sim`: one command shows the whole web flow. The binary starts the embedded simulator and the BFF;
//! a scripted browser logs in through the simulator's TestID page, sees the session, gets the VAT page, logs out.

use crate::harness::{Home, PERSON};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

/// The BFF's cookies, kept by hand (they are `Secure`; browsers send them to http://127.0.0.1 too).
fn absorb(jar: &mut BTreeMap<String, String>, response: &reqwest::blocking::Response) {
    for value in response.headers().get_all("set-cookie") {
        let text = value.to_str().unwrap();
        let (pair, attributes) = text.split_once(';').unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        if attributes.contains("Max-Age=0") {
            jar.remove(name);
        } else {
            jar.insert(name.into(), value.into());
        }
    }
}

fn cookies(jar: &BTreeMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn serve_sim_shows_the_whole_web_flow() {
    let home = Home::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let public = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let mut child = home
        .mva(&[
            "serve",
            "--sim",
            "--listen",
            &listen,
            "--public-url",
            &public,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut said = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        if line.starts_with("listening on") {
            break;
        }
    }
    assert!(said.contains("sessions: in memory"), "{said}");
    assert!(said.contains("MVA_SESSION_KEY is not set"), "{said}");
    assert!(
        said.contains(&format!(
            "redirect URI:              {public}/oauth2/callback"
        )),
        "{said}"
    );

    let bff = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let idp = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let mut jar = BTreeMap::new();
    let start = bff
        .get(format!("{public}/oauth2/login?redirect=/"))
        .header("sec-fetch-mode", "navigate")
        .send()
        .unwrap();
    assert_eq!(start.status(), 303);
    absorb(&mut jar, &start);
    let authorize = start.headers()["location"].to_str().unwrap().to_owned();
    let page = idp.get(&authorize).send().unwrap().text().unwrap();
    let issuer = authorize.split("/authorize").next().unwrap().to_owned();
    let answer = idp
        .post(format!("{issuer}/authorize/login"))
        .form(&[
            ("tx", hidden(&page, "tx")),
            ("csrf", hidden(&page, "csrf")),
            ("pid_typed", PERSON.into()),
            ("acr", "idporten-loa-substantial".into()),
            ("action", "login".into()),
        ])
        .send()
        .unwrap();
    assert_eq!(answer.status(), 302, "{}", answer.text().unwrap());
    let callback = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&format!("{public}/oauth2/callback?")),
        "{callback}"
    );
    let done = bff
        .get(&callback)
        .header("sec-fetch-mode", "navigate")
        .header("cookie", cookies(&jar))
        .send()
        .unwrap();
    assert_eq!(done.status(), 303);
    absorb(&mut jar, &done);
    assert!(jar.contains_key("__Host-mva-session"), "{jar:?}");

    let session: serde_json::Value = bff
        .get(format!("{public}/oauth2/session"))
        .header("cookie", cookies(&jar))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(session["pid"], "018185*****");
    let front = bff.get(format!("{public}/")).send().unwrap();
    assert_eq!(front.status(), 200, "the VAT page is served");

    let logout = bff
        .post(format!("{public}/oauth2/logout"))
        .header("origin", &public)
        .header("cookie", cookies(&jar))
        .send()
        .unwrap();
    assert_eq!(logout.status(), 200);
    absorb(&mut jar, &logout);
    assert!(!jar.contains_key("__Host-mva-session"));
    assert!(logout
        .text()
        .unwrap()
        .contains(&format!("action=\"{issuer}/logout\"")));
    drop(server);
}

#[test]
fn serve_refuses_a_bad_method_allow_list_before_it_starts() {
    let home = Home::new();
    let bad = home.run(&[
        "serve",
        "--sim",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "http://127.0.0.1:9",
        "--upstream-methods",
        "GET,B@D",
    ]);
    assert!(!bad.0.status.success());
    let said = String::from_utf8_lossy(&bad.0.stderr);
    assert!(
        said.contains("--upstream-methods: \"B@D\" is not an HTTP method"),
        "{said}"
    );
    let alone = home.run(&["serve", "--sim", "--upstream-methods", "GET"]);
    assert_eq!(alone.0.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&alone.0.stderr).contains("--upstream"));
}
