//! Who changed what and when: a fold-out list of an item's or a problem's history, including edits made
//! offline on any device (they carry their author and time inside the change).

use crate::hooks::{use_session, use_workspace};
use crate::i18n::{Lang, Msg};
use crate::state::time::short_time;
use yew::prelude::*;
use zhigai_shared::doc::{HistoryEntry, Op, Status};

/// Props of [`History`].
#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    /// The item id or problem id whose history to show.
    pub subject: String,
}

/// What an operation did, in words.
pub fn op_label(op: Op, lang: Lang) -> &'static str {
    let (zh, en) = match op {
        Op::Genesis => ("创建", "created"),
        Op::Migrate => ("升级格式", "upgraded"),
        Op::SetStatus => ("设置状态", "set status"),
        Op::SetMetric => ("填写数值", "set figure"),
        Op::EditNote => ("编辑备注", "edited note"),
        Op::AddProblem => ("登记问题", "recorded problem"),
        Op::UpdateProblem => ("修改问题", "changed problem"),
        Op::SetProblemStatus => ("更新整改状态", "set rectification status"),
        Op::DeleteProblem => ("删除问题", "deleted problem"),
        Op::Submit => ("提交审核", "submitted"),
        Op::Withdraw => ("撤回提交", "withdrew"),
        Op::Resolve => ("处理冲突", "settled conflict"),
        Op::SetReviewState => ("审核", "reviewed"),
        Op::FirstReview => ("初审", "first review"),
        Op::AddFinding => ("核查发现问题", "recorded a finding"),
        Op::Comment => ("审核意见", "commented"),
        Op::Verify => ("核实整改", "verified"),
        Op::AddPhoto => ("添加照片", "added a photo"),
        Op::CaptionPhoto => ("修改照片说明", "captioned a photo"),
        Op::RemovePhoto => ("删除照片", "removed a photo"),
        Op::Unknown => ("其他修改", "other change"),
    };
    lang.pick(zh, en)
}

fn value_text(entry: &HistoryEntry, lang: Lang) -> String {
    let Some(value) = &entry.value else {
        return String::new();
    };
    match (entry.op, value.parse::<Status>()) {
        (Op::SetStatus, Ok(s)) => lang.pick(s.label_zh(), s.label_en()).to_owned(),
        _ => value.clone(),
    }
}

/// The fold-out history. The document's change log is read only while it is open: it grows with every
/// keystroke in a note, and a closed list costs nothing on a cheap phone.
#[component]
pub fn History(props: &HistoryProps) -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let open = use_state(|| false);
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            open.set(
                e.target_unchecked_into::<web_sys::HtmlDetailsElement>()
                    .open(),
            );
        })
    };
    let entries: Vec<HistoryEntry> = if *open {
        ws.history(&props.subject)
    } else {
        Vec::new()
    };
    html! {
        <details class="history" {ontoggle}>
            <summary>{ lang.t(Msg::History) }</summary>
            if *open && entries.is_empty() {
                <p class="muted">{ lang.t(Msg::NoHistory) }</p>
            }
            <ol class="history-list">
            { for entries.iter().rev().map(|e| html! {
                <li>
                    <span class="when">{ short_time(e.at) }</span>{ " " }
                    <span class="who">{ e.author.name.clone() }</span>{ " " }
                    { op_label(e.op, lang) }
                    if let Some(field) = &e.field { { format!(" · {field}") } }
                    { " " }<span class="value">{ value_text(e, lang) }</span>
                </li>
            }) }
            </ol>
        </details>
    }
}
