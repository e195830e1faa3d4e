//! Newtypes for the protocol values that must not be mixed up: organisation number, instance id, period, category.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::MvaError;

/// A Norwegian organisation number: 9 digits, the last a mod-11 check digit.
///
/// ```
/// use mva::OrganisationNumber;
/// assert!("974761076".parse::<OrganisationNumber>().is_ok());
/// assert!("974761077".parse::<OrganisationNumber>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganisationNumber(String);

impl OrganisationNumber {
    /// The 9 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` is 9 digits with a valid mod-11 check digit.
    pub fn is_valid(s: &str) -> bool {
        let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        if s.len() != 9 || d.len() != 9 {
            return false;
        }
        let sum: u32 = [3, 2, 7, 6, 5, 4, 3, 2]
            .iter()
            .zip(&d)
            .map(|(w, d)| w * d)
            .sum();
        match 11 - sum % 11 {
            11 => d[8] == 0,
            10 => false,
            k => d[8] == k,
        }
    }
}

impl FromStr for OrganisationNumber {
    type Err = MvaError;
    fn from_str(s: &str) -> Result<Self, MvaError> {
        let s = s.trim();
        if Self::is_valid(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(MvaError::InvalidOrganisationNumber(s.to_string()))
        }
    }
}

impl TryFrom<String> for OrganisationNumber {
    type Error = MvaError;
    fn try_from(s: String) -> Result<Self, MvaError> {
        s.parse()
    }
}

impl From<OrganisationNumber> for String {
    fn from(o: OrganisationNumber) -> String {
        o.0
    }
}

impl fmt::Display for OrganisationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Altinn instance id: `{partyId}/{instanceGuid}`.
///
/// ```
/// use mva::InstanceId;
/// let id: InstanceId = "50267437/55604b08-1690-4a8d-bf6b-95c11dc40c58".parse().unwrap();
/// assert_eq!(id.party_id(), "50267437");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InstanceId {
    party_id: String,
    guid: uuid::Uuid,
}

impl InstanceId {
    /// Builds an id from its parts.
    pub fn new(party_id: u64, guid: uuid::Uuid) -> Self {
        Self {
            party_id: party_id.to_string(),
            guid,
        }
    }
    /// The instance owner's party id.
    pub fn party_id(&self) -> &str {
        &self.party_id
    }
    /// The instance GUID.
    pub fn guid(&self) -> uuid::Uuid {
        self.guid
    }
}

impl FromStr for InstanceId {
    type Err = MvaError;
    fn from_str(s: &str) -> Result<Self, MvaError> {
        let bad = || MvaError::InvalidInstanceId(s.to_string());
        let (party, guid) = s.trim().split_once('/').ok_or_else(bad)?;
        if party.is_empty() || !party.chars().all(|c| c.is_ascii_digit()) || party.len() > 18 {
            return Err(bad());
        }
        let guid = uuid::Uuid::parse_str(guid).map_err(|_| bad())?;
        Ok(Self {
            party_id: party.to_string(),
            guid,
        })
    }
}

impl TryFrom<String> for InstanceId {
    type Error = MvaError;
    fn try_from(s: String) -> Result<Self, MvaError> {
        s.parse()
    }
}

impl From<InstanceId> for String {
    fn from(i: InstanceId) -> String {
        i.to_string()
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.party_id, self.guid)
    }
}

/// The category of a return (meldingskategori).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// `alminnelig`: the ordinary return.
    Alminnelig,
    /// `primaernaering`: primary industries (yearly).
    Primaernaering,
    /// `kompensasjon`: VAT compensation.
    Kompensasjon,
    /// `omvendtAvgiftsplikt`: reverse charge.
    OmvendtAvgiftsplikt,
    /// `eHandel`: VOEC e-commerce.
    EHandel,
}

impl Category {
    /// All categories, in the schema's order.
    pub const ALL: [Category; 5] = [
        Category::Alminnelig,
        Category::Primaernaering,
        Category::Kompensasjon,
        Category::OmvendtAvgiftsplikt,
        Category::EHandel,
    ];
    /// The schema's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Alminnelig => "alminnelig",
            Category::Primaernaering => "primaernaering",
            Category::Kompensasjon => "kompensasjon",
            Category::OmvendtAvgiftsplikt => "omvendtAvgiftsplikt",
            Category::EHandel => "eHandel",
        }
    }
}

impl FromStr for Category {
    type Err = MvaError;
    fn from_str(s: &str) -> Result<Self, MvaError> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| MvaError::InvalidCategory(s.to_string()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of taxation period (the element name under `skattleggingsperiode/periode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeriodLength {
    /// `skattleggingsperiodeMaaned`, e.g. "januar".
    Month,
    /// `skattleggingsperiodeToMaaneder`, e.g. "mars-april".
    TwoMonths,
    /// `skattleggingsperiodeTreMaaneder`, e.g. "januar-mars".
    ThreeMonths,
    /// `skattleggingsperiodeSeksMaaneder`, e.g. "januar-juni".
    SixMonths,
    /// `skattleggingsperiodeHalvMaaned`, e.g. "foerste halvdel januar".
    HalfMonth,
    /// `skattleggingsperiodeUke`, e.g. "uke 3".
    Week,
    /// `skattleggingsperiodeAar`: "aarlig".
    Year,
}

impl PeriodLength {
    const NAMES: [(PeriodLength, &'static str); 7] = [
        (PeriodLength::Month, "skattleggingsperiodeMaaned"),
        (PeriodLength::TwoMonths, "skattleggingsperiodeToMaaneder"),
        (PeriodLength::ThreeMonths, "skattleggingsperiodeTreMaaneder"),
        (PeriodLength::SixMonths, "skattleggingsperiodeSeksMaaneder"),
        (PeriodLength::HalfMonth, "skattleggingsperiodeHalvMaaned"),
        (PeriodLength::Week, "skattleggingsperiodeUke"),
        (PeriodLength::Year, "skattleggingsperiodeAar"),
    ];
    /// The XML element name.
    pub fn element(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(p, _)| *p == self)
            .map(|(_, n)| *n)
            .unwrap_or_default()
    }
    /// The kind for an XML element name.
    pub fn from_element(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(p, _)| *p)
    }
}

/// A taxation period (skattleggingsperiode): its length, the term within the year and the year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The kind of period.
    pub length: PeriodLength,
    /// The term, e.g. "mars-april" (the schema lists the allowed values).
    pub term: String,
    /// The year, e.g. 2022.
    pub year: i32,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.term, self.year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_number_check_digit() {
        assert!("310000019".parse::<OrganisationNumber>().is_ok());
        assert!("974761076".parse::<OrganisationNumber>().is_ok());
        let e = "123456789".parse::<OrganisationNumber>().unwrap_err();
        assert!(e.to_string().contains("123456789"), "{e}");
        assert!("31000001".parse::<OrganisationNumber>().is_err());
        assert!("31000001a".parse::<OrganisationNumber>().is_err());
    }

    #[test]
    fn instance_id_round_trip() {
        let s = "50267437/55604b08-1690-4a8d-bf6b-95c11dc40c58";
        let id: InstanceId = s.parse().unwrap();
        assert_eq!(id.to_string(), s);
        assert!("x/55604b08-1690-4a8d-bf6b-95c11dc40c58"
            .parse::<InstanceId>()
            .is_err());
        assert!("5026/nope".parse::<InstanceId>().is_err());
        assert!("55604b08-1690-4a8d-bf6b-95c11dc40c58"
            .parse::<InstanceId>()
            .is_err());
    }

    #[test]
    fn category_spelling() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
        }
        assert!("omvendtAavgiftsplikt".parse::<Category>().is_err());
    }
}
