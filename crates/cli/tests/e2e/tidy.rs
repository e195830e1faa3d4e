//! Commands that write to the current directory write to the working directory they were started in, and the
//! tests start them in a temporary one: running the tests leaves the source tree as it was.

use std::path::Path;

use crate::harness::{repo_root, Home, Sim, PERSON};

const ORG: &str = "310000019";

/// The entries of `dir` whose names start with `prefix`.
fn entries_starting_with(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix))
        .collect()
}

#[test]
fn a_submit_without_out_saves_its_receipt_in_the_working_directory_not_the_source_tree() {
    let sim = Sim::start();
    let home = Home::web_client();
    home.run(&[
        "login",
        "--issuer",
        &sim.issuer(),
        "--client-id",
        sim::REFRESH_TEST_CLIENT_ID,
        "--redirect-uri",
        "http://127.0.0.1:0/callback",
        "--browser-command",
        &Sim::headless_browser(PERSON),
    ])
    .expect(0);
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let before = entries_starting_with(crate_dir, ORG);
    let demo_return = repo_root().join("crates/cli/assets/demo-mvamelding.xml");
    // A return of its own, so the journal of no other test knows it.
    let file = home.dir.path().join("tidy-return.xml");
    let xml = std::fs::read_to_string(demo_return)
        .unwrap()
        .replace("mva-demo-1", "tidy-1");
    std::fs::write(&file, xml).unwrap();
    home.run(&[
        "submit",
        file.to_str().unwrap(),
        "--org",
        ORG,
        "--poll-interval",
        "0.2",
    ])
    .expect(0);

    let saved = entries_starting_with(home.work.path(), &format!("{ORG}-"));
    assert_eq!(
        saved.len(),
        1,
        "one receipt folder in the working directory: {saved:?}"
    );
    assert!(home
        .work
        .path()
        .join(&saved[0])
        .join("kvittering.pdf")
        .is_file());
    assert_eq!(
        entries_starting_with(crate_dir, ORG),
        before,
        "nothing written into the source tree"
    );
}
