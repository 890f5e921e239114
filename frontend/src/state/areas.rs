//! The template's areas as the home page lists them.

use crate::i18n::Lang;
use zhigai_shared::Template;

/// One area of the checklist, ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaSummary {
    /// `T1` … `T9`.
    pub id: String,
    /// The plan's numbering, `（一）` …
    pub number: String,
    /// The title in the chosen language.
    pub title: String,
    /// How many check items it has.
    pub items: usize,
}

/// The areas of `template` in `lang`.
pub fn area_summaries(template: &Template, lang: Lang) -> Vec<AreaSummary> {
    template
        .areas
        .iter()
        .map(|a| AreaSummary {
            id: a.id.to_string(),
            number: a.number_zh.clone(),
            title: match lang {
                Lang::Zh => a.title_zh.clone(),
                Lang::En => a.title_en.clone(),
            },
            items: a.items.len(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nine_areas_are_listed_in_either_language() {
        let zh = area_summaries(Template::national(), Lang::Zh);
        assert_eq!(zh.len(), 9);
        assert_eq!(zh[4].title, "促进规范合理用药");
        assert_eq!(zh[4].number, "（五）");
        let en = area_summaries(Template::national(), Lang::En);
        assert_eq!(en[4].title, "Promote rational drug use");
        assert_eq!(
            zh.iter().map(|a| a.items).sum::<usize>(),
            Template::national().items().count()
        );
    }
}
