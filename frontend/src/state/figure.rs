//! The figure an item asks for (a rate, a count), as typed into its box: what it means, or why it cannot be
//! stored. A typo never clears a stored figure: only an empty box does.

use crate::i18n::Msg;
use zhigai_shared::FractionPart;
use zhigai_shared::template::Metric;

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

/// Reads one of a rate's two counts as typed, checked against the other count already stored: a whole
/// number, the numerator never above the denominator, the denominator never zero. Only an empty box clears.
///
/// # Errors
/// The message to show beside the box; the stored counts stay as they were.
pub fn parse_fraction_part(
    raw: &str,
    part: FractionPart,
    numerator: Option<f64>,
    denominator: Option<f64>,
) -> Result<Figure, Msg> {
    let figure = parse_figure(raw, COUNT_UNITS[1])?;
    let Figure::Value(value) = figure else {
        return Ok(figure);
    };
    let (n, d) = match part {
        FractionPart::Numerator => (Some(value), denominator),
        FractionPart::Denominator if value == 0.0 => return Err(Msg::FigureZeroDenominator),
        FractionPart::Denominator => (numerator, Some(value)),
    };
    match (n, d) {
        (Some(n), Some(d)) if n > d => Err(Msg::FigureNumeratorOver),
        _ => Ok(figure),
    }
}

/// An item's figure as the printed table writes it beside the status: a rate with its counts
/// (`55/60 = 91.7%`), a count with its unit (`4次`), and whether it misses the version's target; `None`
/// where nothing was given.
pub fn figure_text(
    metric: &Metric,
    numerator: Option<f64>,
    denominator: Option<f64>,
    value: Option<f64>,
) -> Option<String> {
    let shown = match (metric.is_rate(), numerator, denominator, value) {
        (true, Some(n), Some(d), Some(rate)) => format!("{n}/{d} = {rate}%"),
        (true, Some(n), Some(d), None) => format!("{n}/{d}"),
        (_, _, _, Some(v)) => format!("{v}{}", metric.unit),
        _ => return None,
    };
    let verdict = match value.and_then(|v| metric.misses_target(v)) {
        Some(true) => "（未达目标）",
        Some(false) => "（已达目标）",
        None => "",
    };
    Some(format!("{}：{shown}{verdict}", metric.zh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_figure_shows_the_counts_and_the_target() {
        use zhigai_shared::template::ResponseKind;
        let template = zhigai_shared::Template::national();
        let metric = |id: &str| match &template.item(&id.into()).unwrap().response {
            ResponseKind::StatusWithNumber { metric } => metric.clone(),
            ResponseKind::Status => panic!("{id}"),
        };
        let mut rate = metric("T5.01");
        assert_eq!(
            figure_text(&rate, Some(55.0), Some(60.0), Some(91.7)).unwrap(),
            "处方合格率：55/60 = 91.7%"
        );
        assert_eq!(figure_text(&rate, None, Some(60.0), None), None);
        rate.target = Some(95.0);
        assert!(
            figure_text(&rate, Some(55.0), Some(60.0), Some(91.7))
                .unwrap()
                .ends_with("（未达目标）")
        );
        let count = metric("T1.06");
        assert_eq!(
            figure_text(&count, None, None, Some(4.0)).unwrap(),
            "本年度专题会议召开次数：4次"
        );
    }

    #[test]
    fn a_rates_counts_are_whole_and_the_numerator_never_exceeds_the_denominator() {
        use FractionPart::{Denominator, Numerator};
        assert_eq!(
            parse_fraction_part("45", Numerator, None, Some(50.0)),
            Ok(Figure::Value(45.0))
        );
        assert_eq!(
            parse_fraction_part("４５", Numerator, None, None),
            Ok(Figure::Value(45.0))
        );
        assert_eq!(
            parse_fraction_part("51", Numerator, None, Some(50.0)),
            Err(Msg::FigureNumeratorOver)
        );
        assert_eq!(
            parse_fraction_part("44", Denominator, Some(45.0), None),
            Err(Msg::FigureNumeratorOver)
        );
        assert_eq!(
            parse_fraction_part("0", Denominator, None, None),
            Err(Msg::FigureZeroDenominator)
        );
        assert_eq!(
            parse_fraction_part("0", Numerator, None, Some(8.0)),
            Ok(Figure::Value(0.0))
        );
        assert_eq!(
            parse_fraction_part("4.5", Numerator, None, None),
            Err(Msg::FigureNotWhole)
        );
        assert_eq!(
            parse_fraction_part("-2", Denominator, None, None),
            Err(Msg::FigureNegative)
        );
        assert_eq!(
            parse_fraction_part("四十", Numerator, None, None),
            Err(Msg::FigureNotNumber)
        );
        assert_eq!(
            parse_fraction_part(" ", Denominator, Some(3.0), Some(9.0)),
            Ok(Figure::Cleared)
        );
    }

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
