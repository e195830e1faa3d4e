//! The closed sets of values the command line and the config file accept: ID-porten environment, page language
//! and level of assurance. clap lists them in `--help`, completes them in the shells, and refuses anything else
//! with the list (exit 2); the config file's profile accepts the same names. Each converts into the `idporten`
//! library's type with an exhaustive match, so a new variant there fails to compile here until it is named.

use clap::ValueEnum;
use serde::Deserialize;

/// `--env`: which ID-porten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(try_from = "String")]
pub enum Env {
    /// The test environment (test.idporten.no, Altinn tt02), "Ver 2" in Samarbeidsportalen.
    Test,
    /// Production (idporten.no, Altinn).
    Prod,
}

/// `--ui-locales`: the language of ID-porten's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(try_from = "String")]
pub enum Locale {
    /// Norwegian bokmål.
    Nb,
    /// Norwegian nynorsk.
    Nn,
    /// English.
    En,
    /// Northern Sami.
    Se,
}

/// `--acr-values`: the level of assurance asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(try_from = "String")]
pub enum Level {
    /// MinID, BankID, Buypass, Commfides (legacy name Level3).
    #[value(
        name = "idporten-loa-substantial",
        alias = "substantial",
        alias = "Level3"
    )]
    Substantial,
    /// BankID, Buypass, Commfides (legacy name Level4).
    #[value(name = "idporten-loa-high", alias = "high", alias = "Level4")]
    High,
}

impl Env {
    /// The name on the command line and in `Provider::environment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Prod => "prod",
        }
    }
}

impl From<Env> for idporten::Environment {
    fn from(value: Env) -> Self {
        match value {
            Env::Test => Self::Test,
            Env::Prod => Self::Prod,
        }
    }
}

impl From<Locale> for idporten::UiLocale {
    fn from(value: Locale) -> Self {
        match value {
            Locale::Nb => Self::Nb,
            Locale::Nn => Self::Nn,
            Locale::En => Self::En,
            Locale::Se => Self::Se,
        }
    }
}

impl From<Level> for idporten::AcrLevel {
    fn from(value: Level) -> Self {
        match value {
            Level::Substantial => Self::Substantial,
            Level::High => Self::High,
        }
    }
}

/// Parses a config-file value with the names (and aliases) the command line accepts.
fn parse<T: ValueEnum>(text: &str, what: &str) -> Result<T, String> {
    T::from_str(text, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|p| p.get_name().to_string())
            .collect();
        format!("\"{text}\" is not {what}; use {}", names.join(" or "))
    })
}

impl TryFrom<String> for Env {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        parse(&text, "an environment")
    }
}

impl TryFrom<String> for Locale {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        parse(&text, "a language of ID-porten")
    }
}

impl TryFrom<String> for Level {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        parse(&text, "a level of assurance")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Profile {
        env: Option<Env>,
        ui_locales: Option<Locale>,
        acr_values: Option<Level>,
    }

    fn profile(text: &str) -> Result<Profile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_config_file_takes_the_command_lines_names_and_aliases() {
        let p = profile("env = \"prod\"\nui_locales = \"se\"\nacr_values = \"Level4\"").unwrap();
        assert_eq!(p.env, Some(Env::Prod));
        assert_eq!(p.ui_locales, Some(Locale::Se));
        assert_eq!(p.acr_values, Some(Level::High));
        let p = profile("acr_values = \"idporten-loa-substantial\"").unwrap();
        assert_eq!(p.acr_values, Some(Level::Substantial));
    }

    #[test]
    fn a_value_outside_the_set_is_refused_with_the_set() {
        let err = profile("env = \"staging\"").unwrap_err();
        assert!(
            err.contains("\"staging\" is not an environment; use test or prod"),
            "{err}"
        );
        let err = profile("ui_locales = \"de\"").unwrap_err();
        assert!(err.contains("use nb or nn or en or se"), "{err}");
        let err = profile("acr_values = \"idporten-loa-low\"").unwrap_err();
        assert!(
            err.contains("use idporten-loa-substantial or idporten-loa-high"),
            "{err}"
        );
    }

    #[test]
    fn each_value_becomes_the_librarys() {
        assert_eq!(
            idporten::Environment::from(Env::Prod),
            idporten::Environment::Prod
        );
        assert_eq!(Env::Test.as_str(), "test");
        assert_eq!(idporten::UiLocale::from(Locale::Nn).as_str(), "nn");
        assert_eq!(
            idporten::AcrLevel::from(Level::High).as_str(),
            "idporten-loa-high"
        );
        // The command line's names are the protocol's.
        for level in Level::value_variants() {
            let name = level.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(idporten::AcrLevel::from(*level).as_str(), name);
        }
        for locale in Locale::value_variants() {
            let name = locale.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(idporten::UiLocale::from(*locale).as_str(), name);
        }
    }
}
