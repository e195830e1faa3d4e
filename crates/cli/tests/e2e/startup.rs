//! Start-up cost: commands that read no XML do not load libxml2 (nor ICU, liblzma and libstdc++, which it pulls
//! in); validation loads it when it first needs it. Seen through glibc's dynamic loader (`LD_DEBUG=libs` lists
//! every library it maps, at start and through `dlopen`, on stderr).
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use crate::harness::{Home, Sim, PERSON};
use crate::vat::logged_in;

/// The libraries the loader mapped while `mva ARGS` ran in `home` (its `LD_DEBUG=libs` lines), and the exit code.
fn libraries_loaded(home: &Home, args: &[&str]) -> (String, i32) {
    let out = home
        .mva(args)
        .env("LD_DEBUG", "libs")
        .output()
        .expect("mva runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let loaded: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("library=") || l.contains("calling init:"))
        .collect();
    (loaded.join("\n"), out.status.code().unwrap_or(-1))
}

fn assert_no_xml_library(what: &str, loaded: &str) {
    for lib in ["libxml2", "libicu", "liblzma", "libstdc++"] {
        assert!(!loaded.contains(lib), "{what} loaded {lib}:\n{loaded}");
    }
}

#[test]
fn version_and_token_do_not_load_libxml2_and_validation_does() {
    let empty = Home::new();
    let (loaded, code) = libraries_loaded(&empty, &["--version"]);
    assert_eq!(code, 0);
    assert!(
        loaded.contains("libc.so"),
        "LD_DEBUG=libs shows the libraries loaded:\n{loaded}"
    );
    assert_no_xml_library("mva --version", &loaded);

    // With a valid stored token (the path `mva token` is measured on) and with none.
    let sim = Sim::start();
    let home = logged_in(&sim, PERSON);
    let (loaded, code) = libraries_loaded(&home, &["token"]);
    assert_eq!(code, 0, "{loaded}");
    assert_no_xml_library("mva token", &loaded);
    let (loaded, _) = libraries_loaded(&empty, &["token"]);
    assert_no_xml_library("mva token with no session", &loaded);

    // Validation loads it, on demand (so the checks above can see it when it is there).
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mva/testdata/mva-meldingen/examples/melding/mvakode3.xml");
    let (loaded, code) =
        libraries_loaded(&empty, &["validate", "--offline", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{loaded}");
    assert!(
        loaded.contains("libxml2.so"),
        "mva validate did not load libxml2:\n{loaded}"
    );
}
