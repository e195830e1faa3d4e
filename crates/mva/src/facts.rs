//! The facts of a return and an envelope that must agree: organisation number, period, category; plus the
//! amounts and KID of a return.

use crate::scan::Scanned;
use crate::types::{Period, PeriodLength};

/// The paths whose first element's text is a fact (returns, then envelopes).
pub(crate) const TEXT_PATHS: [&str; 8] = [
    "/mvaMeldingDto/skattepliktig/organisasjonsnummer",
    "/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/skattleggingsperiode/aar",
    "/mvaMeldingDto/meldingskategori",
    "/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/fastsattMerverdiavgift",
    "/mvaMeldingDto/betalingsinformasjon/kundeIdentifikasjonsnummer",
    "/mvaMeldingInnsending/norskIdentifikator/organisasjonsnummer",
    "/mvaMeldingInnsending/skattleggingsperiode/aar",
    "/mvaMeldingInnsending/meldingskategori",
];
/// The periods: the first element below one of these with a text names the period's length and term.
pub(crate) const PERIOD_PREFIXES: [&str; 2] = [
    "/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/skattleggingsperiode/periode",
    "/mvaMeldingInnsending/skattleggingsperiode/periode",
];
/// The amounts of the specification lines, summed.
pub(crate) const SUM_PATH: &str =
    "/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/mvaSpesifikasjonslinje/merverdiavgift";

/// Where facts are read from: the safe scan's index of a document, or the facts gathered while libxml2 streamed it.
pub(crate) trait Lookup {
    /// The trimmed text of the first element at `path` (one of [`TEXT_PATHS`]).
    fn text(&self, path: &str) -> Option<&str>;
    /// The first element below `prefix` (one of [`PERIOD_PREFIXES`]) with a text: its name and trimmed text.
    fn first_child_text(&self, prefix: &str) -> Option<(&str, &str)>;
    /// The sum in øre of the amounts at `path` ([`SUM_PATH`]); `None` when one is not an amount.
    fn sum_amounts(&self, path: &str) -> Option<i64>;
    /// The line of the first element at `path` (one of [`TEXT_PATHS`]).
    fn line_of(&self, path: &str) -> Option<u32>;
    /// Whether an element named `name` (`mvaSpesifikasjonslinje`) is in the document.
    fn has_element(&self, name: &str) -> bool;
}

impl Lookup for Scanned<'_> {
    fn text(&self, path: &str) -> Option<&str> {
        Scanned::text(self, path)
    }
    fn first_child_text(&self, prefix: &str) -> Option<(&str, &str)> {
        Scanned::first_child_text(self, prefix)
    }
    fn sum_amounts(&self, path: &str) -> Option<i64> {
        self.all_at(path)
            .map(|i| parse_amount_ore(&self.elements[i].text))
            .sum()
    }
    fn line_of(&self, path: &str) -> Option<u32> {
        self.find(path).map(|i| self.line(i))
    }
    fn has_element(&self, name: &str) -> bool {
        self.elements.iter().any(|e| e.name == name)
    }
}

/// What a return or an envelope says about who files for which period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// Organisation number as written (may be invalid).
    pub organisation: Option<String>,
    /// The period, when complete.
    pub period: Option<Period>,
    /// The category as written (may be outside the schema's list).
    pub category: Option<String>,
    /// The return's fastsattMerverdiavgift as written (returns only).
    pub vat_total: Option<String>,
    /// Sum of the specification lines' merverdiavgift, in øre (returns only).
    pub lines_total_ore: Option<i64>,
    /// The return's KID (kundeIdentifikasjonsnummer), if given.
    pub kid: Option<String>,
}

/// Parses a decimal amount such as "-2500", "12.5" or "100.25" into øre.
pub fn parse_amount_ore(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || int.len() > 15
    {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac2 = frac.chars().take(2).collect::<String>();
    while frac2.len() < 2 {
        frac2.push('0');
    }
    let ore = int * 100 + frac2.parse::<i64>().ok()?;
    Some(if neg { -ore } else { ore })
}

/// Formats øre as a decimal amount ("-2500", "12.50").
pub fn format_ore(ore: i64) -> String {
    let sign = if ore < 0 { "-" } else { "" };
    let a = ore.unsigned_abs();
    if a.is_multiple_of(100) {
        format!("{sign}{}", a / 100)
    } else {
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

fn period_at(s: &impl Lookup, prefix: &str) -> Option<Period> {
    let (name, term) = s.first_child_text(&format!("{prefix}/periode"))?;
    let length = PeriodLength::from_element(name)?;
    let year = s.text(&format!("{prefix}/aar"))?.parse().ok()?;
    Some(Period {
        length,
        term: term.to_string(),
        year,
    })
}

pub(crate) fn return_facts(s: &impl Lookup) -> Facts {
    let base = "/mvaMeldingDto";
    let lines = s.sum_amounts(SUM_PATH);
    Facts {
        organisation: s
            .text(&format!("{base}/skattepliktig/organisasjonsnummer"))
            .map(str::to_string),
        period: period_at(
            s,
            &format!("{base}/skattegrunnlagOgBeregnetSkatt/skattleggingsperiode"),
        ),
        category: s
            .text(&format!("{base}/meldingskategori"))
            .map(str::to_string),
        vat_total: s
            .text(&format!(
                "{base}/skattegrunnlagOgBeregnetSkatt/fastsattMerverdiavgift"
            ))
            .map(str::to_string),
        lines_total_ore: lines,
        kid: s
            .text(&format!(
                "{base}/betalingsinformasjon/kundeIdentifikasjonsnummer"
            ))
            .map(str::to_string),
    }
}

pub(crate) fn envelope_facts(s: &impl Lookup) -> Facts {
    let base = "/mvaMeldingInnsending";
    Facts {
        organisation: s
            .text(&format!("{base}/norskIdentifikator/organisasjonsnummer"))
            .map(str::to_string),
        period: period_at(s, &format!("{base}/skattleggingsperiode")),
        category: s
            .text(&format!("{base}/meldingskategori"))
            .map(str::to_string),
        ..Facts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount_ore("-2500"), Some(-250000));
        assert_eq!(parse_amount_ore("12.5"), Some(1250));
        assert_eq!(parse_amount_ore("0.07"), Some(7));
        assert_eq!(parse_amount_ore("abc"), None);
        assert_eq!(parse_amount_ore(""), None);
        assert_eq!(format_ore(-250000), "-2500");
        assert_eq!(format_ore(1250), "12.50");
    }
}
