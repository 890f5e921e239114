//! UI text: a typed message table, Chinese first, English available. Checklist text comes from the
//! template's own zh/en fields, status labels from the domain's enums, not from here.

/// The languages the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

macro_rules! messages {
    ($($name:ident => $zh:literal, $en:literal;)*) => {
        /// Every UI string, by meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg { $($name,)* }

        impl Msg {
            /// Every message, for the completeness test.
            #[cfg(test)]
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];

            fn texts(self) -> (&'static str, &'static str) {
                match self { $(Msg::$name => ($zh, $en),)* }
            }
        }
    };
}

messages! {
    AppTitle => "质改 · 基层医疗质量自查整改", "zhigai · primary-care quality self-inspection";
    SwitchLanguage => "English", "中文";
    Items => "项", "items";
    LoginTitle => "登录", "Log in";
    LoginHint => "首次使用需联网登录一次，之后无网络也可填报。", "Log in once online; after that the app works without a network.";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    LoginButton => "登录", "Log in";
    LoggingIn => "正在登录并下载本机构资料…", "Logging in and fetching your facility…";
    Logout => "退出登录", "Log out";
    LogoutUnsynced => "还有未同步的修改：退出后这些修改仍保存在本机，重新登录后会继续同步。确定退出？", "Some changes are not synced yet: they stay on this device and sync after the next login. Log out?";
    Home => "首页", "Home";
    Problems => "问题清单", "Problems";
    Back => "返回", "Back";
    OpeningOtherApp => "正在打开…", "Opening…";
    Loading => "正在读取本机数据…", "Reading this device's data…";
    NetOffline => "离线", "Offline";
    NetSyncing => "同步中", "Syncing";
    NetSynced => "已同步", "Synced";
    NetExpired => "登录已过期，请重新登录（本机修改不会丢失）", "Session expired: log in again (nothing on this device is lost)";
    Unsynced => "条未同步", "unsynced";
    Relogin => "重新登录", "Log in again";
    Refused => "服务器拒绝：您无权查看该机构的自查表。请返回本机构页面，或联系县级管理员。", "The server refused: you may not see this facility's inspection. Go back to your facility or ask the county administrator.";
    BackToMine => "返回本机构", "Back to my facility";
    Phase => "当前阶段", "Phase";
    Progress => "填报进度", "Progress";
    NonCompliantShort => "不符合", "non-compliant";
    DueSoon => "即将到期和已逾期的问题", "Problems due soon or overdue";
    NothingDue => "暂无即将到期或逾期的问题。", "Nothing due soon or overdue.";
    ReviewTitle => "审核情况", "Review";
    ReviewState => "审核状态", "Review state";
    ReturnReason => "退回原因", "Reason for return";
    LatestComments => "最新审核意见", "Latest review comments";
    NoComments => "暂无审核意见。", "No comments yet.";
    Submission => "提交状态", "Submission";
    Submit => "提交县级审核", "Submit for review";
    Resubmit => "修改完毕，重新提交", "Resubmit";
    SubmitConfirm => "提交后将不能修改，直到审核退回。确定提交？", "After submitting you cannot edit until the review returns it. Submit?";
    Withdraw => "撤回提交", "Withdraw";
    OnlyHeadSubmits => "由机构负责人提交。", "The facility head submits.";
    ConflictsTitle => "有冲突需要处理", "Conflicts to settle";
    ConflictHint => "两位同事同时填了不同的内容，请选择保留哪一个：", "Two colleagues entered different values; choose the one to keep:";
    Keep => "保留", "Keep";
    Note => "备注", "Note";
    NotePlaceholder => "情况说明、佐证材料位置等（同事可同时编辑）", "Findings, where evidence is kept… (colleagues can edit at once)";
    Guidance => "检查要点", "What to check";
    HowToJudge => "判定标准", "How to judge";
    AreaNotApplicable => "本机构不适用", "Not applicable here";
    Source => "依据", "Source";
    LastChanged => "最后修改", "Last changed";
    NeverChanged => "尚未填写", "Not answered yet";
    History => "修改记录", "History";
    NoHistory => "暂无记录。", "No changes yet.";
    AddProblem => "登记问题", "Record a problem";
    ReviewerComment => "审核意见", "Reviewer's comment";
    Figure => "数值", "Figure";
    NotApplicableHidden => "项不适用于本机构，已隐藏。", "items do not apply to this facility and are hidden.";
    ReadOnlySubmitted => "已提交审核，暂不能修改。", "Submitted for review: read-only.";
    ReadOnlyRole => "您只能查看。", "You can only view this.";
    NewProblem => "新增问题", "New problem";
    Description => "问题描述", "Description";
    Measure => "整改措施", "Improvement measure";
    Owner => "责任人", "Owner";
    Deadline => "整改期限", "Deadline";
    Item => "对应检查项", "Check item";
    NoItem => "（不对应具体检查项）", "(no specific item)";
    Save => "保存", "Save";
    Cancel => "取消", "Cancel";
    Delete => "删除", "Delete";
    DeleteConfirm => "确定删除这个问题？", "Delete this problem?";
    NoOwner => "（未指定）", "(none)";
    FilterArea => "领域", "Area";
    FilterOwner => "责任人", "Owner";
    FilterStatus => "状态", "Status";
    All => "全部", "All";
    NoProblems => "没有符合条件的问题。", "No problems match.";
    Overdue => "已逾期", "Overdue";
    Days => "天", "days";
    DueIn => "剩余", "due in";
    Verification => "县级核实", "County verification";
    RecordedBy => "登记人", "Recorded by";
    DescriptionRequired => "请填写问题描述。", "Please describe the problem.";
    ChooseFacility => "选择机构", "Choose a facility";
    Year => "年度", "Year";
    NotFound => "页面不存在。", "Page not found.";
    ReturnReasonPlaceholder => "退回原因：需要补充或修改什么", "Why it is returned: what to add or change";
    ReturnButton => "退回修改", "Return for changes";
    Approve => "审核通过", "Approve";
    ApproveConfirm => "确认审核通过当前版本？之后的修改会标注为“通过后修改”。", "Approve the inspection as it stands now? Later edits will show as changed since approval.";
    ChangedSinceApproval => "审核通过后有修改", "Changed since approval";
    NoChangeSinceApproval => "审核通过后无修改。", "No changes since approval.";
    ApprovedStateUnknown => "本机尚未收到通过时的版本，联网同步后可查看变化。", "This device has not yet received the approved version; sync to see what changed.";
    NotSubmittedYet => "机构尚未提交，可先查看和留言。", "Not submitted yet: you can read and comment.";
    CommentPlaceholder => "对本项的审核意见", "Your comment on this item";
    AddComment => "添加意见", "Add comment";
    Verified => "核实通过", "Verify";
    VerifyFailed => "核实未通过", "Not accepted";
    Dashboard => "概览", "Overview";
    Facility => "机构", "Facility";
    Print => "打印自查表", "Print";
    StorageUnavailable => "本机存储不可用，离线修改无法保存：请退出浏览器的无痕模式，或保持联网。", "This device's storage is unavailable, so offline edits cannot be kept: leave private browsing or stay online.";
    StorageUnreadable => "读取本机数据失败，将从服务器重新获取。", "Reading this device's data failed; it will be fetched from the server again.";
    SaveFailed => "保存到本机失败：请勿关闭页面，并尽快联网同步。", "Saving on this device failed: keep the page open and get online to sync soon.";
    BadSyncData => "收到无法应用的同步数据，已忽略；如反复出现请联系县级管理员。", "Sync data that could not be applied was ignored; tell the county administrator if this repeats.";
    AnnualSummary => "年度总结", "Annual summary";
    AnnualReport => "年度评估报告", "Annual report";
    CarriedOver => "上年遗留", "Carried over";
    LastYear => "上年", "Last year";
    EditRefused => "这项修改未被接受", "That change was not accepted";
    UpdateApp => "本机的质改版本过旧，无法打开此检查表：请刷新页面以更新。", "This version of zhigai cannot open this checklist: reload the page to update.";
    DownloadFailed => "下载失败", "The download failed";
    ServerSaid => "服务器拒绝了一项修改", "The server refused a change";
    FirstReview => "初审", "First review";
    PassOn => "初审通过，报送审核", "Pass on for final review";
    PassOnConfirm => "确认初审通过当前版本，并报送县（区）级审核？", "Pass the inspection as it stands on to the county (district) for final review?";
    FirstStepPending => "尚未通过医共体（区社一体）初审：通常待初审通过后再审核。", "Not yet passed on by the medical community: the final review usually follows its first review.";
    ReviewRecord => "审核记录", "Review record";
    GuidanceOnly => "您可以对各项留言给予指导意见，不参与审核。", "You can comment on items as guidance; you take no part in the review.";
    Guided => "指导的村卫生室（站）", "Clinics you guide";
    Counties => "县（区）", "Counties and districts";
    CommonProblems => "共性问题", "Common problems";
    FacilitiesWith => "家机构", "facilities";
    Coverage => "覆盖进度", "Coverage";
    ReviewedBy => "经办", "By";
    NewFinding => "添加核查发现的问题", "Add a finding from a check";
    Finding => "核查发现", "Finding";
    LeadHospital => "牵头医院", "lead hospital";
    FigureNotNumber => "请填写数字（如 85 或 85.5），原数值未改动。", "Type a number (such as 85 or 85.5); the stored figure is unchanged.";
    FigureNegative => "数值不能为负数，原数值未改动。", "A figure cannot be negative; the stored figure is unchanged.";
    FigureOverHundred => "比例不能超过 100%，原数值未改动。", "A share cannot exceed 100%; the stored figure is unchanged.";
    FigureNotWhole => "次数、例数须为整数，原数值未改动。", "A count must be a whole number; the stored figure is unchanged.";
    FigureNumeratorOver => "分子不能大于分母，原数值未改动。", "The numerator cannot exceed the denominator; the stored figure is unchanged.";
    FigureZeroDenominator => "分母不能为 0，原数值未改动。", "The denominator cannot be 0; the stored figure is unchanged.";
    FigureImpossiblePair => "分子大于分母（可能是同事同时修改），请核对后重填。", "The numerator exceeds the denominator (colleagues may have edited at once); check and re-enter.";
    TargetMissed => "未达目标", "Target missed";
    TargetMet => "已达目标", "Target met";
    Target => "目标", "Target";
    Photos => "照片", "Photos";
    PhotosBefore => "整改前照片", "Photos before rectification";
    PhotosAfter => "整改后照片", "Photos after rectification";
    TakePhoto => "拍照", "Take a photo";
    PickPhotos => "从相册选择", "Choose from the gallery";
    KeepLocation => "保留拍摄位置", "Keep where it was taken";
    Shrinking => "正在处理照片", "Preparing photos";
    PhotosWaiting => "张待上传", "to upload";
    PhotosRefused => "张照片未被服务器接受", "photos refused by the server";
    PhotoCaption => "照片说明", "Caption";
    RemovePhoto => "删除照片", "Remove photo";
    RemovePhotoConfirm => "删除这张照片？（删除记录会保留在修改记录中）", "Remove this photo? (The removal stays in the history.)";
    Close => "关闭", "Close";
    TakenAt => "拍摄位置", "Taken at";
    PhotoStorage => "本机照片", "Photos on this device";
    DeviceStorage => "本机存储已用", "Device storage used";
    Dismiss => "知道了", "OK";
}

impl Lang {
    /// The text of `msg` in this language.
    pub fn t(self, msg: Msg) -> &'static str {
        let (zh, en) = msg.texts();
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Picks between a Chinese and an English text of the domain (template, enums).
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The other language.
    pub fn toggled(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_they_differ() {
        for msg in Msg::ALL.iter().filter(|m| **m != Msg::SwitchLanguage) {
            let (zh, en) = (Lang::Zh.t(*msg), Lang::En.t(*msg));
            assert!(!zh.is_empty() && !en.is_empty(), "{msg:?}");
            assert_ne!(zh, en, "{msg:?} is not translated");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{msg:?} has no Chinese"
            );
        }
    }
}
