//! Payment information (betalingsinformasjon) after a submission: amount to pay or get back, KID, due date.

use serde::{Deserialize, Serialize};

use crate::error::MvaError;
use crate::facts::{format_ore, parse_amount_ore};
use crate::scan::scan;
use crate::schema::PAYMENT_NS;
use crate::types::Period;
use crate::xmlw::XmlOut;

/// What the Tax Administration says about paying the VAT of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    /// The submission's reference (innsendingsreferanse, the instance id).
    pub reference: String,
    /// The organisation number.
    pub organisation: String,
    /// The KID to pay with (kundeidentifikasjonsnummer).
    pub kid: String,
    /// Amount in øre: positive = to pay, negative = to get back.
    pub amount_ore: i64,
    /// Pay to (betaleTil).
    pub pay_to: String,
    /// Due date, ISO 8601 (betalingsfrist).
    pub due_date: String,
    /// Account number (betalesTilKonto/norskKontonummer).
    pub account: String,
}

impl PaymentInfo {
    /// The amount as a decimal string ("15000", "-2500.50").
    pub fn amount(&self) -> String {
        format_ore(self.amount_ore)
    }
}

fn bad(detail: impl Into<String>) -> MvaError {
    MvaError::Protocol {
        step: "payment information",
        detail: detail.into(),
    }
}

/// Reads a betalingsinformasjon document.
pub fn parse_payment(xml: &[u8]) -> Result<PaymentInfo, MvaError> {
    let s = scan(xml).map_err(|f| bad(f.message))?;
    if s.root_name != "betalingsinformasjon" {
        return Err(bad(format!(
            "expected <betalingsinformasjon>, got <{}>",
            s.root_name
        )));
    }
    let get = |p: &str| {
        s.text(&format!("/betalingsinformasjon/{p}"))
            .map(str::to_string)
    };
    let need = |p: &str| get(p).ok_or_else(|| bad(format!("{p} is missing")));
    let amount = need("beloep")?;
    Ok(PaymentInfo {
        reference: need("innsendingsreferanse")?,
        organisation: need("skattepliktig/organisasjonsnummer")?,
        kid: need("kundeidentifikasjonsnummer")?,
        amount_ore: parse_amount_ore(&amount)
            .ok_or_else(|| bad(format!("beloep \"{amount}\" is not an amount")))?,
        pay_to: get("betaleTil").unwrap_or_default(),
        due_date: need("betalingsfrist")?,
        account: get("betalesTilKonto/norskKontonummer").unwrap_or_default(),
    })
}

/// Writes a betalingsinformasjon document (valid against its schema) for `period`.
pub fn write_payment(p: &PaymentInfo, period: &Period) -> Result<Vec<u8>, MvaError> {
    let mut x = XmlOut::new()?;
    x.root("betalingsinformasjon", PAYMENT_NS)?;
    x.leaf("innsendingsreferanse", &p.reference)?;
    x.start("skattepliktig")?
        .leaf("organisasjonsnummer", &p.organisation)?
        .end("skattepliktig")?;
    x.start("skattleggingsperiode")?
        .start("periode")?
        .leaf(period.length.element(), &period.term)?
        .end("periode")?;
    x.leaf("aar", &period.year.to_string())?
        .end("skattleggingsperiode")?;
    x.leaf("kundeidentifikasjonsnummer", &p.kid)?;
    x.leaf("beloep", &p.amount())?;
    x.leaf("betaleTil", &p.pay_to)?;
    x.leaf("betalingsfrist", &p.due_date)?;
    x.start("betalesTilKonto")?
        .leaf("norskKontonummer", &p.account)?
        .end("betalesTilKonto")?;
    x.end("betalingsinformasjon")?;
    Ok(x.finish())
}
