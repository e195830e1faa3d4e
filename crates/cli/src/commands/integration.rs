//! `mva integration check FILE`: the integration's settings against the rules and this software's configuration.

use anyhow::Result;
use idporten::integration::IntegrationFile;
use idporten::integration_check::{
    check as check_integration, Finding, Severity, SoftwareSettings,
};
use serde::Serialize;

use crate::cli::IntegrationCheckArgs;
use crate::exit;
use crate::output;
use crate::settings::{self, ProfileSettings};

#[derive(Serialize)]
struct Report<'a> {
    client_id: &'a str,
    name: &'a str,
    findings: Vec<Finding>,
}

/// Runs the check; exit code [`exit::FINDINGS`] when any finding is an error.
pub fn check(ctx: &ProfileSettings, args: &IntegrationCheckArgs) -> Result<u8> {
    let file = IntegrationFile::read(&args.file)?;
    if file.integrations.is_empty() {
        anyhow::bail!(
            "{} has no [[integration]] table; see examples/integration.toml in the repository for the format",
            args.file.display()
        );
    }
    let software = software_settings(ctx, args)?;
    // Compare the software with the integration it uses; the others are checked on their own.
    let used = file
        .integrations
        .iter()
        .any(|i| i.client_id == software.client_id);
    let mut reports = Vec::new();
    for integration in &file.integrations {
        let compare = if used {
            (integration.client_id == software.client_id).then_some(&software)
        } else {
            Some(&software)
        };
        reports.push(Report {
            client_id: &integration.client_id,
            name: &integration.name,
            findings: check_integration(integration, compare),
        });
    }
    let errors = reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.severity == Severity::Error)
        .count();
    if args.json {
        output::json(&reports)?;
    } else {
        print_reports(&reports, errors);
    }
    Ok(if errors > 0 {
        exit::FINDINGS
    } else {
        exit::SUCCESS
    })
}

fn print_reports(reports: &[Report<'_>], errors: usize) {
    for r in reports {
        println!("integration {} {}", r.client_id, r.name);
        if r.findings.is_empty() {
            println!("  ok: nothing to fix");
        }
        for f in &r.findings {
            let tag = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            println!("  {tag}: {}: {}", f.field, f.problem);
            println!("    fix: {}", f.fix);
        }
    }
    let warnings = reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.severity == Severity::Warning)
        .count();
    println!("{errors} error(s), {warnings} warning(s)");
}

fn software_settings(
    ctx: &ProfileSettings,
    args: &IntegrationCheckArgs,
) -> Result<SoftwareSettings> {
    let provider = settings::provider(ctx, &args.provider)?;
    let values = settings::login_values(ctx, &args.login)?;
    let client_auth = values.client_auth;
    Ok(SoftwareSettings {
        client_id: provider.client_id.as_str().to_string(),
        redirect_uri: values.redirect_uri,
        post_logout_redirect_uri: values.post_logout_redirect_uri,
        back_uri: values.back_uri,
        scopes: values.scopes,
        client_auth,
        uses_refresh_tokens: false,
        environment: provider.environment,
    })
}
