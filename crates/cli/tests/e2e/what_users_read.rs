//! What users read, pinned by snapshots (see snapshot.rs for how to accept a change): the help of `mva` and of
//! every subcommand, found by walking `--help` itself, so a new command without a snapshot fails; one error per
//! exit code; and the completion scripts and manual pages generated from the same clap definitions.

use std::collections::BTreeSet;
use std::process::Command;

use crate::harness::{repo_root, Home, Sim};
use crate::snapshot;

/// The subcommands listed under "Commands:" in a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn the_help_of_mva_and_of_every_subcommand_is_pinned() {
    let home = Home::new();
    let mut pending: Vec<Vec<String>> = vec![vec![]];
    let mut names = BTreeSet::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = home.run(&args).expect(0).stdout();
        let name = std::iter::once("mva")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        snapshot::check(&format!("help-{name}"), &help);
        names.insert(format!("help-{name}.txt"));
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    assert!(
        names.contains("help-mva-integration-check.txt"),
        "nested commands are walked: {names:?}"
    );
    assert!(names.len() >= 12, "{names:?}");
    // A snapshot of a command that no longer exists is stale.
    let stale: Vec<String> = std::fs::read_dir(snapshot::dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("help-") && !names.contains(f))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots of commands that do not exist (delete them): {stale:?}"
    );
}

/// Runs `mva ARGS` and renders what the user sees, with the run's temporary paths and ports made constant.
fn transcript(home: &Home, args: &[&str], replace: &[(&str, &str)]) -> (i32, String) {
    let run = home.run(args);
    let mut text = format!(
        "$ mva {}\nexit {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        run.code(),
        run.stdout(),
        run.stderr()
    );
    let home_dir = home.dir.path().display().to_string();
    let work_dir = home.work.path().display().to_string();
    let repo = repo_root().display().to_string();
    for (from, to) in replace.iter().copied().chain([
        (home_dir.as_str(), "<home>"),
        (work_dir.as_str(), "<work>"),
        (repo.as_str(), "<repo>"),
    ]) {
        text = text.replace(from, to);
    }
    (run.code(), without_ports(&text))
}

/// `127.0.0.1:PORT` with the port of this run (the listener's free port) as `127.0.0.1:<port>`.
fn without_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(i + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 1 {
            out.push_str("<port>");
        } else {
            out.push_str(&tail[..digits]);
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

#[test]
fn one_error_per_exit_code_is_pinned() {
    let sim = Sim::start();
    let issuer = sim.issuer();
    let sim_names = [(issuer.as_str(), "<sim>")];

    let home = Home::new();
    let cases: Vec<(i32, &str, Vec<&str>)> = vec![
        (
            1,
            "unreadable-config",
            vec!["--config", "missing.toml", "whoami"],
        ),
        (2, "unknown-environment", vec!["login", "--env", "staging"]),
        (
            2,
            "shared-test-client-in-prod",
            vec!["login", "--env", "prod"],
        ),
        (
            3,
            "not-logged-in",
            vec!["token", "--issuer", &issuer, "--client-id", "some-client"],
        ),
        (
            4,
            "login-timed-out",
            vec![
                "login",
                "--issuer",
                &issuer,
                "--client-id",
                sim::GUIDE_EXAMPLE_CLIENT_ID,
                "--redirect-uri",
                "http://127.0.0.1:0/callback",
                "--browser-command",
                "true",
                "--timeout",
                "1",
            ],
        ),
        (
            5,
            "provider-unreachable",
            vec![
                "login",
                "--issuer",
                "http://127.0.0.1:1",
                "--client-id",
                "some-client",
            ],
        ),
    ];
    for (code, name, args) in cases {
        let (got, text) = transcript(&home, &args, &sim_names);
        assert_eq!(got, code, "{text}");
        snapshot::check(&format!("exit-{code}-{name}"), &text);
    }

    std::fs::write(home.work.path().join("not.xml"), "this is not XML").unwrap();
    let (got, text) = transcript(&home, &["validate", "--offline", "not.xml"], &sim_names);
    assert_eq!(got, 6, "{text}");
    snapshot::check("exit-6-invalid-return", &text);

    // A person without any Altinn role for the organisation.
    let stranger = crate::vat::logged_in(&sim, "24827010770");
    let demo_return = repo_root().join("crates/cli/assets/demo-mvamelding.xml");
    let (got, text) = transcript(
        &stranger,
        &[
            "submit",
            demo_return.to_str().unwrap(),
            "--org",
            "310000019",
        ],
        &sim_names,
    );
    assert_eq!(got, 7, "{text}");
    snapshot::check("exit-7-missing-role", &text);
}

#[test]
fn completions_for_each_shell_offer_the_commands_flags_and_values() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = home.run(&["completions", shell]).expect(0).stdout();
        for word in [
            "login",
            "integration",
            "completions",
            "acr-values",
            "ui-locales",
        ] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
        // clap_complete completes values in these three; PowerShell's and elvish's scripts complete names only.
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(script.contains("idporten-loa-high"), "{shell}: the levels");
        }
    }
    let bash = home.run(&["completions", "bash"]).expect(0).stdout();
    let script = home.work.path().join("mva.bash");
    std::fs::write(&script, bash).unwrap();
    // The script parses, and completing `mva lo` offers login and logout.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(mva lo); COMP_CWORD=1; _mva mva lo mva; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offered = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        offered.lines().collect::<Vec<_>>(),
        ["login", "logout"],
        "{offered}"
    );

    let run = home.run(&["completions", "tcsh"]).expect(2);
    assert!(run.stderr().contains("possible values"), "{}", run.stderr());
}

#[test]
fn the_manual_pages_come_from_the_same_definitions() {
    let home = Home::new();
    let page = home.run(&["man"]).expect(0).stdout();
    assert!(page.contains(".TH mva 1"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing");
    }
    assert!(page.contains("mva\\-login(1)"), "subcommands are listed");

    let out = home.work.path().join("man");
    home.run(&["man", "--out", "man"]).expect(0);
    for file in [
        "mva.1",
        "mva-login.1",
        "mva-integration-check.1",
        "mva-completions.1",
    ] {
        let text =
            std::fs::read_to_string(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(text.contains(".TH"), "{file}");
    }
    let login = std::fs::read_to_string(out.join("mva-login.1")).unwrap();
    assert!(
        login.contains("idporten\\-loa\\-high"),
        "the level's values are in the page"
    );
}
