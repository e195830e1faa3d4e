//! `mva validate FILE...`: local checks (XML, XSD, return vs envelope) in parallel, then the Tax Administration's
//! validation API for each valid return unless `--offline`.

use anyhow::Result;
use mva::{DocumentKind, Finding, Report, Severity};
use serde::Serialize;
use std::path::PathBuf;

use crate::cli::ValidateArgs;
use crate::commands::vat;
use crate::exit;
use crate::output;
use crate::settings::{self, ProfileSettings};

#[derive(Serialize)]
struct FileResult {
    file: PathBuf,
    document: Option<DocumentKind>,
    valid: bool,
    findings: Vec<Finding>,
    /// The validation API's verdict, when asked.
    service: Option<ServiceVerdict>,
}

#[derive(Serialize)]
struct ServiceVerdict {
    verdict: mva::Verdict,
    accepted: bool,
    findings: Vec<Finding>,
}

/// Validates the files; exit [`exit::FINDINGS`] when any is invalid.
pub async fn run(ctx: &ProfileSettings, args: ValidateArgs) -> Result<u8> {
    let threads = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let paths = args.files.clone();
    let local = tokio::task::spawn_blocking(move || {
        // No libxml2 (or an unusable one) is this machine's problem, not the documents': an error (exit 1) that
        // says what to install, not a finding on every file (exit 6).
        mva::schema::ensure_validator()?;
        Ok::<_, mva::MvaError>(mva::validate_files(&paths, threads))
    })
    .await??;
    let mut results: Vec<FileResult> = local
        .into_iter()
        .map(|(file, report)| file_result(file, report))
        .collect();
    add_consistency(&mut results);
    if !args.offline {
        validate_remotely(ctx, &args, &mut results).await?;
    }
    let invalid = results.iter().filter(|r| !r.valid).count();
    if args.json {
        output::json(&results)?;
    } else {
        print_results(&results, invalid);
    }
    Ok(if invalid > 0 {
        exit::FINDINGS
    } else {
        exit::SUCCESS
    })
}

fn file_result(file: PathBuf, report: Report) -> FileResult {
    FileResult {
        valid: report.is_valid(),
        document: report.document,
        findings: report.findings,
        file,
        service: None,
    }
}

/// A return and an envelope given together are checked against each other (organisation number, period,
/// category). With several of each, nothing is paired: which belongs to which is not known.
fn add_consistency(results: &mut [FileResult]) {
    let of_kind = |k: DocumentKind| results.iter().filter(|r| r.document == Some(k)).count();
    if of_kind(DocumentKind::Return) != 1 || of_kind(DocumentKind::Envelope) != 1 {
        return;
    }
    let path_of = |k: DocumentKind| {
        results
            .iter()
            .find(|r| r.document == Some(k))
            .map(|r| r.file.clone())
    };
    let (Some(ret), Some(env)) = (
        path_of(DocumentKind::Return),
        path_of(DocumentKind::Envelope),
    ) else {
        return;
    };
    let (Ok(ret_xml), Ok(env_xml)) = (std::fs::read(&ret), std::fs::read(&env)) else {
        return;
    };
    let pair = mva::validate_pair(&ret_xml, &env_xml);
    if let Some(r) = results.iter_mut().find(|r| r.file == env) {
        for f in pair.consistency {
            r.valid &= f.severity != Severity::Error;
            r.findings.push(f);
        }
    }
}

async fn validate_remotely(
    ctx: &ProfileSettings,
    args: &ValidateArgs,
    results: &mut [FileResult],
) -> Result<()> {
    let returns: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].valid && results[i].document == Some(DocumentKind::Return))
        .collect();
    if returns.is_empty() {
        return Ok(());
    }
    let provider = settings::provider(ctx, &args.provider)?;
    let mut endpoints = vat::endpoints(ctx, &provider, &Default::default())?;
    if let Some(url) = args
        .validation_url
        .as_ref()
        .or(ctx.profile.validation_url.as_ref())
    {
        endpoints.validation = url::Url::parse(url)?;
    }
    let client = std::sync::Arc::new(mva::MvaClient::new(
        endpoints,
        vat::SessionTokens::new(ctx, &provider),
    )?);
    // A few requests at once: the service is shared; connections to the host are pooled and reused.
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    let mut calls = tokio::task::JoinSet::new();
    for i in returns {
        let (client, permits, file) = (client.clone(), permits.clone(), results[i].file.clone());
        calls.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let xml = std::fs::read(&file)?;
            anyhow::Ok((i, client.validate_remote(&xml).await?))
        });
    }
    while let Some(joined) = calls.join_next().await {
        let (i, service) = joined??;
        let r = &mut results[i];
        r.valid &= service.is_accepted();
        r.service = Some(ServiceVerdict {
            verdict: service.verdict,
            accepted: service.is_accepted(),
            findings: service.findings,
        });
    }
    Ok(())
}

fn print_results(results: &[FileResult], invalid: usize) {
    let mut errors = 0;
    let mut others = 0;
    for r in results {
        let all = r
            .findings
            .iter()
            .chain(r.service.iter().flat_map(|s| &s.findings));
        for f in all {
            if f.severity == Severity::Error {
                errors += 1;
            } else {
                others += 1;
            }
            println!("{}", f.in_file(&r.file));
        }
        if let Some(s) = &r.service {
            println!("{}: validation service: {:?}", r.file.display(), s.verdict);
        }
    }
    println!(
        "{} file(s): {} valid, {invalid} invalid; {errors} error(s), {others} warning(s) or deviation(s)",
        results.len(),
        results.len() - invalid
    );
}
