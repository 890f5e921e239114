//! UI text: a typed message table, Chinese first, English available. Checklist text comes from the
//! template's own zh/en fields, not from here.

/// The languages the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// Every UI string, by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    AppTitle,
    Subtitle,
    Items,
    SwitchLanguage,
    TemplateVersion,
}

impl Lang {
    /// The text of `msg` in this language.
    pub fn t(self, msg: Msg) -> &'static str {
        match (self, msg) {
            (Lang::Zh, Msg::AppTitle) => "质改 · 基层医疗质量自查整改",
            (Lang::En, Msg::AppTitle) => "zhigai · primary-care quality self-inspection",
            (Lang::Zh, Msg::Subtitle) => "对照九项工作任务逐项自查，梳理问题清单，限期整改到位。",
            (Lang::En, Msg::Subtitle) => {
                "Check every item of the nine work tasks, list the problems, fix them by the deadline."
            }
            (Lang::Zh, Msg::Items) => "项",
            (Lang::En, Msg::Items) => "items",
            (Lang::Zh, Msg::SwitchLanguage) => "English",
            (Lang::En, Msg::SwitchLanguage) => "中文",
            (Lang::Zh, Msg::TemplateVersion) => "自查整改表版本",
            (Lang::En, Msg::TemplateVersion) => "Checklist version",
        }
    }

    /// The other language.
    pub fn toggled(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}
