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

/// Neither libxml2 and what it pulls in, nor libgcc_s (build.rs links the unwinder into the binary). libm is not
/// checked here: the release binary does not load it (src/math.rs; `bench/startup.sh` prints the NEEDED list), but
/// this debug build keeps calls to other libm functions that optimisation removes.
fn assert_no_xml_library(what: &str, loaded: &str) {
    for lib in ["libxml2", "libicu", "liblzma", "libstdc++", "libgcc_s"] {
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

/// A machine without a usable libxml2: `mva validate` says what to install and exits 1, a failure of the machine,
/// not findings about the documents (exit 6). The dynamic loader finds the stand-in first through
/// `LD_LIBRARY_PATH`: an empty file under libxml2's name, which it cannot load, as if none were installed.
#[test]
fn without_libxml2_validation_says_what_to_install_and_checks_nothing() {
    let home = Home::new();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mva/testdata/mva-meldingen/examples/melding/mvakode3.xml");
    let libs = tempfile::tempdir().unwrap();
    std::fs::write(libs.path().join("libxml2.so.2"), b"").unwrap();
    let out = home
        .mva(&["validate", "--offline", file.to_str().unwrap()])
        .env("LD_LIBRARY_PATH", libs.path())
        .output()
        .expect("mva runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("libxml2 is not installed") && stderr.contains("apt install libxml2"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no verdict on the file: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
