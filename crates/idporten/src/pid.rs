//! [`Pid`]: a person's national identity number (fødselsnummer or d-nummer, the ID token's `pid` claim), masked
//! wherever it is shown.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A national identity number: 11 digits. `Display` shows the date of birth and masks the personal digits
/// (`010185*****`), and so does `Debug`; only [`Pid::reveal`] gives the whole number (e.g. for `--show-pid`).
///
/// ```
/// let pid = idporten::Pid::new("01818510078");
/// assert_eq!(pid.to_string(), "018185*****");
/// assert_eq!(format!("{pid:?}"), "Pid(018185*****)");
/// assert_eq!(pid.reveal(), "01818510078");
/// assert_eq!(idporten::Pid::new("abc").to_string(), "***"); // not a number: nothing shown
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pid(String);

impl Pid {
    /// Wraps a number as given.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The whole number. Show it only when the user asked for it; never log it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.0;
        if p.len() == 11 && p.bytes().all(|b| b.is_ascii_digit()) {
            write!(f, "{}*****", &p[..6])
        } else {
            f.write_str(&"*".repeat(p.chars().count()))
        }
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pid({self})")
    }
}
