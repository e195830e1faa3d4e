//! Synthetic test persons of the simulator, with the organisations they may act for and their Altinn roles.
//!
//! Configured in the simulator's TOML file as `[[person]]` tables:
//!
//! ```toml
//! [[person]]
//! pid = "01818510078"          # 11 digits with valid check digits (synthetic: month + 80)
//! name = "Aktiv Regnskapsfører"
//! [[person.organisation]]
//! number = "310000019"
//! name = "Fjordbris Kafé AS"
//! roles = ["Regnskapsfører med signeringsrett"]
//! ```

use serde::{Deserialize, Serialize};

/// A test person who can log in at the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// National identity number (fødselsnummer), 11 digits with valid check digits.
    pub pid: String,
    /// A display name for the login page.
    pub name: String,
    /// The organisations the person may act for in Altinn, with the roles held there.
    #[serde(default, rename = "organisation")]
    pub organisations: Vec<Organisation>,
}

/// An organisation a test person holds Altinn roles for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Organisation number, 9 digits with a mod-11 check digit.
    pub number: String,
    /// The organisation's name.
    #[serde(default)]
    pub name: String,
    /// Altinn roles, e.g. "Regnskapsfører med signeringsrett".
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Roles that allow filling in a VAT return (the first `process/next`).
pub const FILL_IN_ROLES: [&str; 4] = [
    "Regnskapsmedarbeider",
    "Regnskapsfører uten signeringsrett",
    "Ansvarlig revisor",
    "Revisormedarbeider",
];

/// Roles that allow submitting (the second `process/next`). Holders may also fill in.
pub const SUBMIT_ROLES: [&str; 4] = [
    "Regnskapsfører med signeringsrett",
    "Begrenset signeringsrett",
    "Kontaktperson NUF",
    "Daglig leder",
];

/// The persons the simulator knows with no configuration.
pub fn default_persons() -> Vec<Person> {
    let org = |number: &str, name: &str, roles: &[&str]| Organisation {
        number: number.into(),
        name: name.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    };
    vec![
        Person {
            pid: "01818510078".into(),
            name: "Kari Regnskapsfører".into(),
            organisations: vec![
                org(
                    "310000019",
                    "Fjordbris Kafé AS",
                    &["Regnskapsfører med signeringsrett"],
                ),
                org(
                    "310000027",
                    "Nordlys Sykkel AS",
                    &["Regnskapsfører med signeringsrett"],
                ),
            ],
        },
        Person {
            pid: "15929210775".into(),
            name: "Ola Medarbeider".into(),
            organisations: vec![org(
                "310000019",
                "Fjordbris Kafé AS",
                &["Regnskapsmedarbeider"],
            )],
        },
        Person {
            pid: "24827010770".into(),
            name: "Per Uten Roller".into(),
            organisations: vec![],
        },
    ]
}

/// Whether `pid` is an 11-digit national identity number with valid mod-11 check digits.
pub fn is_valid_pid(pid: &str) -> bool {
    let d: Vec<u32> = pid.chars().filter_map(|c| c.to_digit(10)).collect();
    if pid.len() != 11 || d.len() != 11 {
        return false;
    }
    let check = |weights: &[u32], digits: &[u32]| {
        let k = 11 - weights.iter().zip(digits).map(|(w, d)| w * d).sum::<u32>() % 11;
        match k {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    check(&[3, 7, 6, 1, 8, 9, 4, 5, 2], &d[..9]) == Some(d[9])
        && check(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2], &d[..10]) == Some(d[10])
}

/// Whether `number` is a 9-digit organisation number with a valid mod-11 check digit (the `mva` crate's rule).
pub fn is_valid_organisation_number(number: &str) -> bool {
    number == number.trim() && number.parse::<mva::OrganisationNumber>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_persons_have_valid_numbers() {
        for p in default_persons() {
            assert!(is_valid_pid(&p.pid), "{}", p.pid);
            for o in &p.organisations {
                assert!(is_valid_organisation_number(&o.number), "{}", o.number);
            }
        }
    }

    #[test]
    fn check_digits_are_checked() {
        assert!(!is_valid_pid("01818510079"));
        assert!(!is_valid_pid("0181851007"));
        assert!(!is_valid_organisation_number("310000018"));
        assert!(is_valid_organisation_number("974761076"));
    }
}
