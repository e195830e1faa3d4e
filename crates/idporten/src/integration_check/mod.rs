//! Checks an integration's settings (as registered in Samarbeidsportalen) against the rules of ID-porten and the
//! Tax Administration, and against the software's own configuration, before anybody tries to log in.
//!
//! Most failed logins come from settings that do not fit each other or the software. Every rule here can be checked
//! offline. Each [`Finding`] names the Norwegian field label the user sees in Samarbeidsportalen, what is wrong and
//! how to fix it.
//!
//! ```
//! use idporten::integration::Integration;
//! use idporten::integration_check::{check, Severity, SoftwareSettings};
//!
//! let registered = Integration::skatteetaten_shared_test_client();
//! let software = SoftwareSettings::for_integration(&registered);
//! assert!(check(&registered, Some(&software)).iter().all(|f| f.severity != Severity::Error));
//! ```

mod registration;
mod software;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::integration::{ClientAuthMethod, Integration, VAT_SCOPES};
pub use registration::is_valid_organisation_number;

/// How bad a finding is. Any [`Severity::Error`] means a login will fail or the integration breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to change.
    Info,
    /// Works, but is not recommended or is likely a mistake.
    Warning,
    /// Breaks a rule: the login fails or the setting is refused.
    Error,
}

/// One problem found in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// The Norwegian label of the field in Samarbeidsportalen (or "Programvarens oppsett" for the software's side).
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

/// The label used for findings about the software's own configuration.
pub const SOFTWARE_FIELD: &str = "Programvarens oppsett (the software's configuration)";

/// What the software is configured to send, to be compared with what is registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoftwareSettings {
    /// The client_id the software sends.
    pub client_id: String,
    /// The redirect_uri the software sends and listens on.
    pub redirect_uri: String,
    /// The post_logout_redirect_uri the software sends, if any.
    pub post_logout_redirect_uri: Option<String>,
    /// The back URI (Tilbake-uri) the software serves on its redirect URI's host and port, if any.
    pub back_uri: Option<String>,
    /// The scopes the software requests.
    pub scopes: Vec<String>,
    /// How the software authenticates at the token endpoint.
    pub client_auth: ClientAuthMethod,
    /// Whether the software expects refresh tokens.
    pub uses_refresh_tokens: bool,
    /// The environment the software logs in to: "test", "prod", or another issuer (then not compared).
    pub environment: String,
}

impl SoftwareSettings {
    /// Settings that match a registration exactly (the first redirect URI, all VAT scopes).
    pub fn for_integration(integration: &Integration) -> Self {
        Self {
            client_id: integration.client_id.clone(),
            redirect_uri: integration
                .redirect_uris
                .first()
                .cloned()
                .unwrap_or_default(),
            post_logout_redirect_uri: integration.post_logout_redirect_uris.first().cloned(),
            back_uri: integration.back_uri.clone(),
            scopes: VAT_SCOPES.iter().map(|s| s.to_string()).collect(),
            client_auth: integration.client_authentication,
            uses_refresh_tokens: integration.allows_refresh(),
            environment: integration.environment.clone(),
        }
    }
}

pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    fn push(
        &mut self,
        severity: Severity,
        field: &'static str,
        problem: String,
        fix: impl Into<String>,
    ) {
        self.0.push(Finding {
            severity,
            field,
            problem,
            fix: fix.into(),
        });
    }
}

/// Checks one registration, and when `software` is given, whether the software's configuration fits it.
/// Findings come sorted: errors first.
pub fn check(integration: &Integration, software: Option<&SoftwareSettings>) -> Vec<Finding> {
    let mut f = Findings(Vec::new());
    registration::check_identity(integration, &mut f);
    registration::check_scopes(integration, &mut f);
    login_rules(integration, &mut f);
    if let Some(software) = software {
        software::check_software(integration, software, &mut f);
    }
    sorted(f)
}

/// The rules that decide whether a login with this registration works at all: grant types and client type (refresh
/// tokens only for web clients that authenticate), redirect and logout URIs, lifetimes. [`check`] applies them too,
/// with the rules on identity and VAT scopes; the simulator refuses to start with a registration that breaks one.
///
/// ```
/// use idporten::integration::Integration;
/// use idporten::integration_check::{check_login_rules, Severity};
///
/// let mut public = Integration::skatteetaten_shared_test_client();
/// public.grant_types.push("refresh_token".into());
/// assert!(check_login_rules(&public).iter().any(|f| f.severity == Severity::Error));
/// ```
pub fn check_login_rules(integration: &Integration) -> Vec<Finding> {
    let mut f = Findings(Vec::new());
    login_rules(integration, &mut f);
    sorted(f)
}

fn login_rules(integration: &Integration, f: &mut Findings) {
    registration::check_grants_and_client_type(integration, f);
    registration::check_uris(integration, f);
    registration::check_lifetimes(integration, f);
}

fn sorted(f: Findings) -> Vec<Finding> {
    let mut findings = f.0;
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

impl std::fmt::Display for Finding {
    /// `field: problem; fix: fix`, the words of `mva integration check` on one line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}; fix: {}", self.field, self.problem, self.fix)
    }
}
