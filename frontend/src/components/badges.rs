//! Small indicators used on several pages: a progress bar and the "overdue / due in" badge.

use crate::hooks::use_session;
use crate::i18n::{Lang, Msg};
use yew::prelude::*;

/// Props of [`Meter`].
#[derive(Properties, PartialEq)]
pub struct MeterProps {
    /// Done.
    pub value: u32,
    /// Of.
    pub max: u32,
}

/// A progress bar.
#[component]
pub fn Meter(props: &MeterProps) -> Html {
    let pct = (props.value * 100).checked_div(props.max).unwrap_or(100);
    html! {
        <span class="meter" role="progressbar" aria-valuemin="0" aria-valuemax={props.max.to_string()} aria-valuenow={props.value.to_string()}>
            <span class="meter-fill" style={format!("width:{pct}%")}></span>
        </span>
    }
}

/// Props of [`DueBadge`].
#[derive(Properties, PartialEq)]
pub struct DueProps {
    /// Days left (negative: overdue).
    pub left: i64,
}

/// "逾期 3 天" or "剩余 4 天".
#[component]
pub fn DueBadge(props: &DueProps) -> Html {
    let lang = use_session().lang();
    html! { <span class={classes!("due-badge", (props.left < 0).then_some("overdue"))}>{ due_text(props.left, lang) }</span> }
}

/// The words of a [`DueBadge`].
pub fn due_text(left: i64, lang: Lang) -> String {
    if left < 0 {
        format!("{} {} {}", lang.t(Msg::Overdue), -left, lang.t(Msg::Days))
    } else {
        format!("{} {} {}", lang.t(Msg::DueIn), left, lang.t(Msg::Days))
    }
}
