//! The figure an item asks for (a rate, a count), as typed into its box: what it means, or why it cannot be
//! stored. A typo never clears a stored figure: only an empty box does.

use crate::i18n::Msg;

/// What a figure box holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    /// Emptied on purpose: the stored figure is removed.
    Cleared,
    /// A figure to store.
    Value(f64),
}

/// Units of counts: meetings held, reports made. Their figures are whole numbers.
const COUNT_UNITS: [&str; 2] = ["次", "例"];

/// Reads what was typed for a figure in `unit` (`%`, `次`, …): full-width digits and a trailing unit are
/// accepted (a phone's Chinese keyboard types them); anything else is refused with the message to show.
///
/// # Errors
/// The message saying what to type instead: not a number, negative, a share over 100 %, or a count (`次`,
/// `例`) that is not a whole number.
pub fn parse_figure(raw: &str, unit: &str) -> Result<Figure, Msg> {
    let ascii: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '－' => '-',
            '％' => '%',
            other => other,
        })
        .collect();
    let text = ascii.trim();
    let text = text.strip_suffix(unit).unwrap_or(text).trim();
    let text = text.strip_suffix('%').unwrap_or(text).trim();
    if text.is_empty() {
        return Ok(Figure::Cleared);
    }
    let value: f64 = text.parse().map_err(|_| Msg::FigureNotNumber)?;
    if !value.is_finite() {
        return Err(Msg::FigureNotNumber);
    }
    if value < 0.0 {
        return Err(Msg::FigureNegative);
    }
    if unit == "%" && value > 100.0 {
        return Err(Msg::FigureOverHundred);
    }
    if COUNT_UNITS.contains(&unit) && value.fract() != 0.0 {
        return Err(Msg::FigureNotWhole);
    }
    Ok(Figure::Value(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_refused_and_only_an_empty_box_clears() {
        assert_eq!(parse_figure("85", "%"), Ok(Figure::Value(85.0)));
        assert_eq!(parse_figure(" 85.5 % ", "%"), Ok(Figure::Value(85.5)));
        assert_eq!(parse_figure("８５．５", "%"), Ok(Figure::Value(85.5)));
        assert_eq!(parse_figure("12次", "次"), Ok(Figure::Value(12.0)));
        assert_eq!(parse_figure("", "%"), Ok(Figure::Cleared));
        assert_eq!(parse_figure("  ", "次"), Ok(Figure::Cleared));
        assert_eq!(parse_figure("8o", "%"), Err(Msg::FigureNotNumber));
        assert_eq!(parse_figure("八十", "%"), Err(Msg::FigureNotNumber));
        assert_eq!(parse_figure("inf", "次"), Err(Msg::FigureNotNumber));
        assert_eq!(parse_figure("NaN", "次"), Err(Msg::FigureNotNumber));
        assert_eq!(parse_figure("-3", "次"), Err(Msg::FigureNegative));
        assert_eq!(parse_figure("120", "%"), Err(Msg::FigureOverHundred));
        assert_eq!(parse_figure("120", "次"), Ok(Figure::Value(120.0)));
        assert_eq!(parse_figure("2.5", "例"), Err(Msg::FigureNotWhole));
        assert_eq!(parse_figure("3例", "例"), Ok(Figure::Value(3.0)));
        assert_eq!(parse_figure("2.5", "%"), Ok(Figure::Value(2.5)));
    }
}
