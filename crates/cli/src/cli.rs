//! The command line: one struct per subcommand, parsed by clap.
//!
//! Settings that describe the integration (issuer, client, redirect URI, ...) come from flags, then `MVA_*`
//! environment variables (clap reads them), then the profile in the config file, then built-in defaults
//! (see `settings.rs`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use crate::choices::{Env, Level, Locale};

/// File VAT returns (mva-melding) with the Norwegian Tax Administration: ID-porten login, validation, submission
/// over Altinn 3, and a local simulator of all three.
#[derive(Debug, Parser)]
#[command(name = "mva", version, about, max_term_width = 100)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// Options shared by all commands.
    #[command(flatten)]
    pub global: GlobalOptions,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// The configuration file (TOML with named profiles) [default: $MVA_HOME/config.toml or the platform's config
    /// dir]. Give it before the command (`mva --config FILE login`) or as MVA_CONFIG.
    #[arg(long, env = "MVA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The profile: a named set of settings in the config file, and its own stored session.
    #[arg(long, global = true, env = "MVA_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Log what happens (never tokens) to stderr: -v for info, -vv for debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in with ID-porten in the browser and store the session.
    Login(LoginArgs),
    /// Print a valid access token (refreshed when needed), for scripts: `curl -H "Authorization: Bearer $(mva token)"`.
    Token(TokenArgs),
    /// Show who is logged in: person (masked), level, scopes, issuer, client, expiry.
    Whoami(WhoamiArgs),
    /// Log out: revoke the tokens, end the ID-porten session in the browser, forget the tokens.
    Logout(LogoutArgs),
    /// Check an integration's settings from Samarbeidsportalen.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Run the local simulator of ID-porten, the validation API and Altinn 3.
    Sim(SimArgs),
    /// Validate VAT returns (and envelopes): locally, then with the Tax Administration's validation API.
    Validate(ValidateArgs),
    /// Submit a VAT return through Altinn 3, wait for the feedback and save the receipt.
    Submit(SubmitArgs),
    /// Show where a submission stands and fetch its feedback.
    Status(StatusArgs),
    /// The whole job on the embedded simulator: log in, validate, submit, get the receipt. No network, no set-up.
    Demo(DemoArgs),
    /// Run the web application: a backend-for-frontend for ID-porten with the VAT web page, or a login sidecar.
    Serve(ServeArgs),
    /// Print the shell completion script: `mva completions bash > ~/.local/share/bash-completion/completions/mva`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `mva man | man -l -`; `--out DIR` writes one page per command.
    Man(ManArgs),
}

/// Which ID-porten and which integration: shared by login, token, whoami, logout and the VAT commands.
#[derive(Debug, Args, Clone, Default)]
pub struct ProviderArgs {
    /// The ID-porten environment [default: test].
    #[arg(long, env = "MVA_ENV", value_enum)]
    pub env: Option<Env>,
    /// Any OpenID provider by issuer URL instead of an environment (the simulator, a test provider).
    #[arg(long, env = "MVA_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,
    /// The integration's client_id [default: the Tax Administration's shared test client].
    #[arg(long, env = "MVA_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
}

/// Settings only a login needs.
#[derive(Debug, Args, Clone, Default)]
pub struct LoginSettings {
    /// The redirect URI registered for the integration; `mva` listens there [default: http://localhost:12345/token].
    #[arg(long, env = "MVA_REDIRECT_URI", value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// Scopes to request, space separated [default: openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending].
    #[arg(long, env = "MVA_SCOPE", value_name = "SCOPES")]
    pub scope: Option<String>,
    /// The level of assurance [default: idporten-loa-substantial].
    #[arg(long, env = "MVA_ACR_VALUES", value_name = "LEVEL", value_enum)]
    pub acr_values: Option<Level>,
    /// The language of ID-porten's pages [default: nb].
    #[arg(long, env = "MVA_UI_LOCALES", value_name = "LOCALE", value_enum)]
    pub ui_locales: Option<Locale>,
    /// Force a fresh login even if ID-porten has a session (prompt=login).
    #[arg(long)]
    pub prompt_login: bool,
    /// Send the request by PAR (pushed authorization request) when the provider supports it.
    #[arg(long)]
    pub par: bool,
    /// How the client authenticates at the token endpoint: none, client_secret_basic, client_secret_post, private_key_jwt.
    #[arg(long, env = "MVA_CLIENT_AUTH", value_name = "METHOD",
          value_parser = clap::builder::TypedValueParser::try_map(
              clap::builder::PossibleValuesParser::new(idporten::ClientAuthMethod::NAMES),
              |name| name.parse::<idporten::ClientAuthMethod>()))]
    pub client_auth: Option<idporten::ClientAuthMethod>,
    /// The RSA private key (PEM) for private_key_jwt.
    #[arg(long, env = "MVA_PRIVATE_KEY", value_name = "FILE")]
    pub private_key: Option<PathBuf>,
    /// The key id (kid) registered for the private key.
    #[arg(long, env = "MVA_KEY_ID", value_name = "KID")]
    pub key_id: Option<String>,
    /// Where ID-porten sends the browser after logout; must be registered [default: none].
    #[arg(long, env = "MVA_POST_LOGOUT_REDIRECT_URI", value_name = "URI")]
    pub post_logout_redirect_uri: Option<String>,
    /// The integration's back URI (Tilbake-uri), where a cancelled login lands; `mva login` serves it when it is on
    /// the redirect URI's host and port [default: none].
    #[arg(long, env = "MVA_BACK_URI", value_name = "URI")]
    pub back_uri: Option<String>,
}

/// How the browser is opened.
#[derive(Debug, Args, Clone, Default)]
pub struct BrowserArgs {
    /// Run CMD with the URL as its last argument instead of the system browser.
    #[arg(long, value_name = "CMD")]
    pub browser_command: Option<String>,
    /// Do not open a browser: print the URL to open.
    #[arg(long, conflicts_with = "browser_command")]
    pub no_browser: bool,
}

/// `mva login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Provider and client.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Login settings.
    #[command(flatten)]
    pub login: LoginSettings,
    /// Browser.
    #[command(flatten)]
    pub browser: BrowserArgs,
    /// How long to wait for the login in the browser, in seconds [default: 300].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Print the result as JSON (no tokens).
    #[arg(long)]
    pub json: bool,
}

/// The integration as registered in Samarbeidsportalen, for its lifetimes (Levetider).
#[derive(Debug, Args, Clone, Default)]
pub struct RegistrationArgs {
    /// The integration file (as for `mva integration check`): its lifetimes for this client bound the session
    /// (Autorisasjonens levetid, at most 8 hours) [default: the profile's `integration`].
    #[arg(long, env = "MVA_INTEGRATION", value_name = "FILE")]
    pub integration: Option<PathBuf>,
}

/// `mva token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Provider and client.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// The registered lifetimes.
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// The client's settings, used when the token must be refreshed (client authentication).
    #[command(flatten, next_help_heading = "Refresh settings")]
    pub login: LoginSettings,
    /// Print JSON {access_token, expires_at, scope} instead of the bare token.
    #[arg(long)]
    pub json: bool,
}

/// `mva whoami`.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Provider and client.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// The registered lifetimes.
    #[command(flatten)]
    pub registration: RegistrationArgs,
    /// Show the national identity number in full.
    #[arg(long)]
    pub show_pid: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `mva logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Provider and client.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Login settings (for the post-logout redirect and client authentication at revocation).
    #[command(flatten)]
    pub login: LoginSettings,
    /// Only forget the stored tokens; do not revoke them or end the ID-porten session.
    #[arg(long)]
    pub local: bool,
    /// Browser.
    #[command(flatten)]
    pub browser: BrowserArgs,
    /// How long to wait for ID-porten to send the browser back after logout, in seconds [default: 120].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

/// `mva integration ...`.
#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Check the settings registered in Samarbeidsportalen (a TOML file) against ID-porten's rules and this
    /// software's configuration.
    Check(IntegrationCheckArgs),
}

/// `mva integration check`.
#[derive(Debug, Args)]
pub struct IntegrationCheckArgs {
    /// The integration file (TOML; `examples/integration.toml` in the repository is a commented example).
    pub file: PathBuf,
    /// Provider and client (the software's configuration to compare with).
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Login settings (the software's configuration to compare with).
    #[command(flatten)]
    pub login: LoginSettings,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `mva sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// The port on 127.0.0.1 [default: 7070, or the config file's].
    #[arg(long)]
    pub port: Option<u16>,
    /// The simulator's configuration: integrations, test persons, settings (see crates/sim/README.md).
    #[arg(long = "config", value_name = "FILE")]
    pub sim_config: Option<PathBuf>,
    /// Accept `sim_pid=` on /authorize to log a test person in without the page (for automated tests).
    #[arg(long)]
    pub headless_login: bool,
}

/// `mva validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The files: returns (mva-melding) and envelopes (konvolutt); a return and an envelope given together are
    /// also checked against each other.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Only the local checks (XML, XSD, consistency); no network, no login needed.
    #[arg(long)]
    pub offline: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Threads for local validation [default: the number of cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Provider and client (whose login is used for the validation API).
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// The validation API's URL [default: the environment's].
    #[arg(long, env = "MVA_VALIDATION_URL", value_name = "URL")]
    pub validation_url: Option<String>,
}

/// `mva submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The VAT return (mva-melding XML).
    pub file: PathBuf,
    /// The organisation the return is for (9 digits).
    #[arg(long, value_name = "ORGNR")]
    pub org: String,
    /// The envelope (konvolutt); built from the return when not given.
    #[arg(long, value_name = "FILE")]
    pub envelope: Option<PathBuf>,
    /// Attachments (PDF, images, office documents, XML), at most 25 MB each.
    #[arg(long = "attach", value_name = "FILE")]
    pub attachments: Vec<PathBuf>,
    /// Where the receipt, payment information and validation result are saved, in a folder ORG-INSTANCE inside it
    /// [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Submit again even though this return was submitted before (a deliberate correction).
    #[arg(long)]
    pub force_new: bool,
    /// Seconds between checks for the feedback (the Tax Administration's sample uses 10).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub poll_interval: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Provider and client.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Base URLs of the services.
    #[command(flatten)]
    pub services: ServiceArgs,
}

/// `mva status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The instance ("partyId/instanceGuid"); without it, all submissions in the journal.
    pub instance: Option<String>,
    /// Where feedback files are saved.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Provider and client.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Base URLs of the services.
    #[command(flatten)]
    pub services: ServiceArgs,
}

/// Base URLs of the validation API, the Altinn token exchange and the submission app.
#[derive(Debug, Args, Clone, Default)]
pub struct ServiceArgs {
    /// All three services on one host (the simulator), e.g. http://127.0.0.1:7070.
    #[arg(long, env = "MVA_SERVICES_URL", value_name = "URL")]
    pub services_url: Option<String>,
}

/// `mva demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the receipt and payment information are saved [default: ./mva-demo].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A VAT return to use instead of the bundled example.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `mva serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Provider and client (a web client: --client-auth client_secret_basic/post with MVA_CLIENT_SECRET, or
    /// private_key_jwt with --private-key and --key-id).
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Login settings (the redirect and post-logout URIs are PUBLIC_URL/oauth2/callback and
    /// PUBLIC_URL/oauth2/logout/callback).
    #[command(flatten)]
    pub login: LoginSettings,
    /// The VAT services.
    #[command(flatten)]
    pub services: ServiceArgs,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The address users open: https, or http://localhost / http://127.0.0.1 (browsers treat only those as secure
    /// contexts, which the __Host- cookies need).
    #[arg(
        long,
        env = "MVA_PUBLIC_URL",
        value_name = "URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,
    /// Keep sessions in Redis, shared by every instance [default: in memory, one instance only].
    #[arg(long, env = "MVA_REDIS_URL", value_name = "URL")]
    pub redis: Option<String>,
    /// Sidecar mode: forward every request outside /oauth2 to this application, with the session's access token.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// The methods forwarded to the upstream; any other gets 405 [default: GET,HEAD,POST,PUT,PATCH,DELETE].
    #[arg(
        long,
        value_name = "METHODS",
        value_delimiter = ',',
        requires = "upstream"
    )]
    pub upstream_methods: Vec<String>,
    /// Where the VAT page's submissions are journalled [default: $MVA_HOME/serve].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Run on the embedded simulator (a web client registered for this server; sessions in memory).
    #[arg(long)]
    pub sim: bool,
}

/// `mva completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `mva man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write mva.1 and one page per command (mva-login.1, ...) into DIR instead of printing mva.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}
