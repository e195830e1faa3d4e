//! The simulator's configuration file: `[sim]`, `[[integration]]`, `[[person]]` and `[mva]` tables. Unknown keys
//! are refused with the key named. With no file, the built-in clients and persons are used.

use idporten::integration::Integration;
use serde::Deserialize;
use std::path::Path;

use crate::clients::built_in_integrations;
use crate::mva::MvaSimConfig;
use crate::person::{default_persons, Person};
use crate::Error;

/// The port the simulator listens on when none is given.
pub const DEFAULT_PORT: u16 = 7070;

/// Everything the simulator needs to start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The `[sim]` table.
    pub sim: SimSettings,
    /// The registered clients: the built-ins plus the file's `[[integration]]` tables (a file entry with a
    /// built-in's client_id replaces it).
    pub integrations: Vec<Integration>,
    /// The test persons (`[[person]]`), or [`default_persons`] when none are configured.
    pub persons: Vec<Person>,
    /// The `[mva]` table, passed to the VAT services.
    pub mva: MvaSimConfig,
}

/// The `[sim]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimSettings {
    /// The port `mva sim` listens on (default 7070; 0 = any free port). Tests pass the address to [`crate::start`].
    pub port: u16,
    /// The issuer to publish instead of `http://127.0.0.1:PORT` (no trailing slash, like ID-porten's). All endpoint
    /// URLs in discovery are built from it.
    pub issuer: Option<String>,
    /// Headless login for automated tests: `/authorize` accepts `sim_pid` (and `sim_acr`) and logs that person in
    /// with no page. Default false.
    pub headless_login: bool,
    /// Start the clock this many seconds off the system time.
    pub clock_offset_secs: i64,
    /// A connection must send a request's headers within this many seconds, else it is closed (default 10).
    pub header_read_timeout_secs: u64,
    /// At most this many connections at once (default 256): at the cap the oldest idle one is closed, and when
    /// all are busy a newcomer gets 503.
    pub max_connections: usize,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            port: DEFAULT_PORT,
            issuer: None,
            headless_login: false,
            clock_offset_secs: 0,
            header_read_timeout_secs: 10,
            max_connections: 256,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    sim: SimSettings,
    #[serde(default, rename = "integration")]
    integrations: Vec<Integration>,
    #[serde(default, rename = "person")]
    persons: Vec<Person>,
    #[serde(default)]
    mva: MvaSimConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            sim: SimSettings::default(),
            integrations: built_in_integrations(),
            persons: default_persons(),
            mva: MvaSimConfig::default(),
        }
    }
}

impl SimConfig {
    /// Reads and parses a configuration file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadConfig {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse_named(&text, &path.display().to_string())
    }

    /// Parses configuration text.
    ///
    /// ```
    /// let config = sim::SimConfig::parse("[sim]\nheadless_login = true\n").unwrap();
    /// assert!(config.sim.headless_login);
    /// assert_eq!(config.integrations.len(), 4); // the built-ins
    /// assert!(sim::SimConfig::parse("[sim]\nheadless = true\n").unwrap_err().to_string().contains("headless"));
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::parse_named(text, "<text>")
    }

    fn parse_named(text: &str, path: &str) -> Result<Self, Error> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| Error::ParseConfig {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        let mut integrations = built_in_integrations();
        for i in file.integrations {
            integrations.retain(|b| b.client_id != i.client_id);
            integrations.push(i);
        }
        let persons = if file.persons.is_empty() {
            default_persons()
        } else {
            file.persons
        };
        let config = Self {
            sim: file.sim,
            integrations,
            persons,
            mva: file.mva,
        };
        config.check()?;
        Ok(config)
    }

    /// Checks the values that TOML cannot: issuer form, person numbers, duplicate persons.
    pub fn check(&self) -> Result<(), Error> {
        if let Some(issuer) = &self.sim.issuer {
            idporten::Issuer::parse(issuer).map_err(|e| Error::InvalidConfig(e.to_string()))?;
            if issuer.ends_with('/') {
                return Err(Error::InvalidConfig(format!(
                    "[sim] issuer {issuer:?} ends with '/': ID-porten's issuers have no trailing slash; remove it"
                )));
            }
        }
        for p in &self.persons {
            if !crate::person::is_valid_pid(&p.pid) {
                return Err(Error::InvalidConfig(format!(
                    "[[person]] {:?} has pid {:?}, which is not 11 digits with valid check digits",
                    p.name, p.pid
                )));
            }
        }
        Ok(())
    }
}
