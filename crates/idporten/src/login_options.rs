//! The choices of one login that override the client's settings: the level of assurance, the language of
//! ID-porten's pages, and whether to ask the person to log in again even with a live ID-porten session. A web
//! application takes them from its login link (`/oauth2/login?level=idporten-loa-high&locale=en&prompt=login`).

use std::borrow::Cow;

use crate::{AcrLevel, ClientConfig, Error, UiLocale};

/// One login's choices; `None` / `false` keeps the client's own setting.
///
/// ```
/// use idporten::{AcrLevel, LoginOptions, UiLocale};
/// let options = LoginOptions::parse(Some("idporten-loa-high"), Some("en"), Some("login")).unwrap();
/// assert_eq!(options.acr, Some(AcrLevel::High));
/// assert_eq!(options.ui_locale, Some(UiLocale::En));
/// assert!(options.prompt_login);
/// assert!(LoginOptions::parse(None, None, Some("none")).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginOptions {
    /// The level of assurance to ask for (`acr_values`).
    pub acr: Option<AcrLevel>,
    /// The language of ID-porten's pages (`ui_locales`).
    pub ui_locale: Option<UiLocale>,
    /// Ask for a new login even when the person has a live ID-porten session (`prompt=login`).
    pub prompt_login: bool,
}

impl LoginOptions {
    /// Reads the three choices as a login link gives them: `level` (`idporten-loa-substantial`,
    /// `idporten-loa-high`, or the legacy `Level3` / `Level4`), `locale` (`nb`, `nn`, `en`, `se`) and `prompt`
    /// (only `login`). Anything else is [`Error::InvalidConfig`] naming the parameter and what it accepts.
    pub fn parse(
        level: Option<&str>,
        locale: Option<&str>,
        prompt: Option<&str>,
    ) -> Result<Self, Error> {
        let acr = level
            .map(|l| {
                AcrLevel::parse(l).map_err(|_| Error::InvalidConfig {
                    setting: "level".into(),
                    reason: format!(
                        "{l:?} is not a level; use idporten-loa-substantial or idporten-loa-high"
                    ),
                })
            })
            .transpose()?;
        let ui_locale = locale.map(UiLocale::parse).transpose()?;
        let prompt_login = match prompt {
            None => false,
            Some("login") => true,
            Some(other) => {
                return Err(Error::InvalidConfig {
                    setting: "prompt".into(),
                    reason: format!("{other:?} is not supported; the only prompt is \"login\""),
                })
            }
        };
        Ok(Self {
            acr,
            ui_locale,
            prompt_login,
        })
    }

    /// `config` with these choices applied (borrowed as it is when there are none).
    pub fn apply<'a>(&self, config: &'a ClientConfig) -> Cow<'a, ClientConfig> {
        if *self == Self::default() {
            return Cow::Borrowed(config);
        }
        let mut config = config.clone();
        if let Some(acr) = self.acr {
            config.acr = acr;
        }
        if let Some(locale) = self.ui_locale {
            config.ui_locale = locale;
        }
        config.prompt_login |= self.prompt_login;
        Cow::Owned(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientId, Issuer, RedirectUri};

    #[test]
    fn choices_override_only_what_they_name() {
        let config = ClientConfig::new(
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("c"),
            RedirectUri::parse("http://localhost:1/cb").unwrap(),
        );
        assert!(matches!(
            LoginOptions::default().apply(&config),
            Cow::Borrowed(_)
        ));
        let high = LoginOptions::parse(Some("Level4"), None, None).unwrap();
        let applied = high.apply(&config);
        assert_eq!(applied.acr, AcrLevel::High);
        assert_eq!(applied.ui_locale, config.ui_locale);
        assert!(!applied.prompt_login);
        for (level, locale, prompt, named) in [
            (Some("idporten-loa-low"), None, None, "level"),
            (None, Some("de"), None, "locale"),
            (None, None, Some("consent"), "prompt"),
        ] {
            match LoginOptions::parse(level, locale, prompt) {
                Err(Error::InvalidConfig { setting, .. }) => assert_eq!(setting, named),
                other => panic!("{other:?}"),
            }
        }
    }
}
