//! The texts of the simulator's pages, in bokmål, nynorsk and English side by side.

use crate::model::Lang;

/// One text in the three languages.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    /// Norsk bokmål (also used for Sami).
    pub nb: &'static str,
    /// Nynorsk.
    pub nn: &'static str,
    /// English.
    pub en: &'static str,
}

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nb | Lang::Se => self.nb,
            Lang::Nn => self.nn,
            Lang::En => self.en,
        }
    }
}

macro_rules! texts {
    ($($name:ident: $nb:literal, $nn:literal, $en:literal;)*) => {
        $(#[allow(missing_docs)] pub const $name: Text = Text { nb: $nb, nn: $nn, en: $en };)*
    };
}

texts! {
    TITLE: "Logg inn med TestID", "Logg inn med TestID", "Log in with TestID";
    SIMULATOR: "ID-porten-simulator (mva-sim) – kun for test", "ID-porten-simulator (mva-sim) – berre for test", "ID-porten simulator (mva-sim) – for testing only";
    LOGGING_IN_TO: "Du logger inn på", "Du loggar inn på", "You are logging in to";
    PID_LABEL: "Fødselsnummer (syntetisk testperson)", "Fødselsnummer (syntetisk testperson)", "National identity number (synthetic test person)";
    PID_HINT: "11 siffer", "11 siffer", "11 digits";
    LEVEL_LABEL: "Sikkerhetsnivå", "Tryggleiksnivå", "Level of assurance";
    SUBSTANTIAL: "Betydelig (idporten-loa-substantial)", "Betydeleg (idporten-loa-substantial)", "Substantial (idporten-loa-substantial)";
    HIGH: "Høyt (idporten-loa-high)", "Høgt (idporten-loa-high)", "High (idporten-loa-high)";
    LOGIN: "Logg inn", "Logg inn", "Log in";
    CANCEL: "Avbryt", "Avbryt", "Cancel";
    PICK: "Eller velg en testperson", "Eller vel ein testperson", "Or pick a test person";
    ERR_EMPTY: "Skriv inn et fødselsnummer.", "Skriv inn eit fødselsnummer.", "Enter a national identity number.";
    ERR_DIGITS: "Fødselsnummeret må ha nøyaktig 11 siffer.", "Fødselsnummeret må ha nøyaktig 11 siffer.", "The national identity number must be exactly 11 digits.";
    ERR_CHECK: "Kontrollsifrene stemmer ikke. Sjekk om du har skrevet feil.", "Kontrollsifra stemmer ikkje. Sjekk om du har skrive feil.", "The check digits do not match. Check for a typing error.";
    ERR_SYNTHETIC: "TestID godtar bare syntetiske testnummer (måned + 80).", "TestID godtek berre syntetiske testnummer (månad + 80).", "TestID accepts only synthetic test numbers (month + 80).";
    ERR_LEVEL: "Tjenesten krever høyt sikkerhetsnivå.", "Tenesta krev høgt tryggleiksnivå.", "The service requires a high level of assurance.";
    ERROR_TITLE: "Noe gikk galt", "Noko gjekk gale", "Something went wrong";
    ERR_EXPIRED: "Innloggingen er utløpt eller ukjent. Start innloggingen på nytt fra tjenesten.", "Innlogginga er utgått eller ukjend. Start innlogginga på nytt frå tenesta.", "The login has expired or is unknown. Start the login again from the service.";
    ERR_CSRF: "Skjemaet kunne ikke bekreftes (CSRF-sjekk). Start innloggingen på nytt.", "Skjemaet kunne ikkje stadfestast (CSRF-sjekk). Start innlogginga på nytt.", "The form could not be verified (CSRF check). Start the login again.";
    LOGGED_OUT_TITLE: "Du er logget ut", "Du er logga ut", "You are logged out";
    LOGGED_OUT_TEXT: "Du er nå logget ut av ID-porten-simulatoren. Du kan lukke vinduet.", "Du er no logga ut av ID-porten-simulatoren. Du kan lukke vindauget.", "You are now logged out of the ID-porten simulator. You may close this window.";
    CONTINUE: "Fortsett", "Hald fram", "Continue";
}
