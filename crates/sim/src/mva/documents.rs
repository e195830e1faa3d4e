//! Documents the simulated Tax Administration produces after a submission: the receipt (a small PDF written by
//! hand), payment information (valid against its XSD) with a KID and a due date, and the validation result.

use mva::{Period, PeriodLength};

/// A one-page PDF with these lines of text (ASCII; other characters become '?').
pub fn receipt_pdf(lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 56 780 Td 16 TL\n");
    for l in lines {
        let esc: String = l
            .chars()
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c if c.is_ascii() && !c.is_control() => c.to_string(),
                'æ' => "ae".into(),
                'ø' => "o".into(),
                'å' => "aa".into(),
                _ => "?".into(),
            })
            .collect();
        content.push_str(&format!("({esc}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}endstream", content.len(), content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", i + 1, o).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A KID: digits of the organisation number and a sequence, with a mod-10 (Luhn) check digit.
pub(crate) fn kid(org: &str, seq: u128) -> String {
    let base = format!("{org}{:06}", seq % 1_000_000);
    let sum: u32 = base
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

/// The due date: the 10th of the second month after the period's last month (yearly returns: 10 March of the
/// next year).
pub(crate) fn due_date(p: &Period) -> String {
    const MONTHS: [&str; 12] = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    let last_word = p.term.rsplit(['-', ' ']).next().unwrap_or("");
    let last_month = match p.length {
        PeriodLength::Year => return format!("{}-03-10", p.year + 1),
        PeriodLength::Week => {
            let week: u32 = last_word.parse().unwrap_or(1);
            (((week.saturating_sub(1)) * 12) / 52 + 1).min(12)
        }
        _ => MONTHS
            .iter()
            .position(|m| *m == last_word)
            .map(|i| i as u32 + 1)
            .unwrap_or(12),
    };
    let m = last_month + 2;
    let (y, m) = if m > 12 {
        (p.year + 1, m - 12)
    } else {
        (p.year, m)
    };
    format!("{y}-{m:02}-10")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates() {
        let p = |l, t: &str, y| Period {
            length: l,
            term: t.into(),
            year: y,
        };
        assert_eq!(
            due_date(&p(PeriodLength::TwoMonths, "januar-februar", 2022)),
            "2022-04-10"
        );
        assert_eq!(
            due_date(&p(PeriodLength::TwoMonths, "november-desember", 2022)),
            "2023-02-10"
        );
        assert_eq!(
            due_date(&p(PeriodLength::Year, "aarlig", 2022)),
            "2023-03-10"
        );
        assert_eq!(
            due_date(&p(PeriodLength::HalfMonth, "andre halvdel mai", 2022)),
            "2022-07-10"
        );
    }

    #[test]
    fn kid_has_luhn_check_digit() {
        let k = kid("310000019", 42);
        assert_eq!(k.len(), 16);
        let sum: u32 = k
            .chars()
            .rev()
            .filter_map(|c| c.to_digit(10))
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 {
                        x - 9
                    } else {
                        x
                    }
                } else {
                    d
                }
            })
            .sum();
        assert_eq!(sum % 10, 0);
    }

    #[test]
    fn pdf_is_well_formed() {
        let pdf = receipt_pdf(&["Kvittering (test)".into(), "Beløp: 100".into()]);
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.starts_with("%PDF-1.4") && s.ends_with("%%EOF\n"));
        let xref: usize = s
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(s[xref..].starts_with("xref"));
        assert!(s.contains("(Kvittering \\(test\\)) Tj"));
    }
}
