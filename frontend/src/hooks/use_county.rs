//! The overviews' data for one year — a county's or community's summary rows and overdue rectifications, a
//! city's or province's county rows — fetched when the year or the place changes, the common problems'
//! drill-down, and the exports, whose failures are kept for the page to show.

use crate::hooks::use_session::use_session;
use crate::services::api::{self, ApiError};
use yew::prelude::*;
use zhigai_shared::access::Scope;
use zhigai_shared::api::{
    AnnualReport, CountySummary, ItemFacility, OverdueRow, RollupSummary, TemplateDetail,
    TemplateInfo,
};

/// Something fetched: not yet, or the answer.
pub type Loaded<T> = Option<Result<T, ApiError>>;

/// The county's data as the overview page sees it.
#[derive(Clone, PartialEq)]
pub struct CountyHandle {
    /// The summary.
    pub summary: Loaded<CountySummary>,
    /// The overdue rectifications.
    pub overdue: Loaded<Vec<OverdueRow>>,
    /// An export is downloading.
    pub busy: bool,
    /// Why the last export failed.
    pub export_error: Option<ApiError>,
    export: Callback<String>,
}

impl CountyHandle {
    /// Downloads the export at `path` (progress in `busy`, failure in `export_error`).
    pub fn export(&self, path: String) {
        self.export.emit(path);
    }
}

/// The overview of `year` of a county or community (`place`).
#[hook]
pub fn use_county(year: u16, place: Scope) -> CountyHandle {
    let session = use_session();
    let summary = use_state(|| None);
    let overdue = use_state(|| None);
    let token = session
        .session()
        .map(|s| s.token.clone())
        .unwrap_or_default();
    {
        let (summary, overdue) = (summary.clone(), overdue.clone());
        let token = token.clone();
        use_effect_with((year, place), move |(year, place)| {
            let (year, place) = (*year, place.clone());
            summary.set(None);
            overdue.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                summary.set(Some(api::place_summary(&token, &place, year).await));
                overdue.set(Some(api::place_overdue(&token, &place, year).await));
            });
        });
    }
    let (busy, export_error, export) = use_export(token);
    CountyHandle {
        summary: (*summary).clone(),
        overdue: (*overdue).clone(),
        busy,
        export_error,
        export,
    }
}

/// A city's or province's overview of `year` (`place`).
#[derive(Clone, PartialEq)]
pub struct RollupHandle {
    /// The counties as rows, totals, common problems.
    pub summary: Loaded<RollupSummary>,
    /// An export is downloading.
    pub busy: bool,
    /// Why the last export failed.
    pub export_error: Option<ApiError>,
    export: Callback<String>,
}

impl RollupHandle {
    /// Downloads the export at `path`.
    pub fn export(&self, path: String) {
        self.export.emit(path);
    }
}

/// The overview of a city or province (`place`) for `year`.
#[hook]
pub fn use_rollup(year: u16, place: Scope) -> RollupHandle {
    let session = use_session();
    let token = session
        .session()
        .map(|s| s.token.clone())
        .unwrap_or_default();
    let summary = use_fetch((year, place), |token, (year, place)| async move {
        Some(api::rollup_summary(&token, &place, year).await)
    });
    let (busy, export_error, export) = use_export(token);
    RollupHandle {
        summary,
        busy,
        export_error,
        export,
    }
}

/// The facilities behind one common problem of `place` in `year`, fetched while `item` is chosen.
#[hook]
pub fn use_common_item(year: u16, place: Scope, item: Option<String>) -> Loaded<Vec<ItemFacility>> {
    use_fetch(
        (year, place, item),
        |token, (year, place, item)| async move {
            let item = item?;
            Some(api::common_item(&token, &place, year, &item).await)
        },
    )
}

/// Downloads with progress and the last failure kept.
#[hook]
fn use_export(token: String) -> (bool, Option<ApiError>, Callback<String>) {
    let busy = use_state(|| false);
    let export_error = use_state(|| None::<ApiError>);
    let export = {
        let (busy, export_error) = (busy.clone(), export_error.clone());
        Callback::from(move |path: String| {
            let (token, busy, export_error) = (token.clone(), busy.clone(), export_error.clone());
            busy.set(true);
            export_error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = api::download(&token, &path).await {
                    export_error.set(Some(e));
                }
                busy.set(false);
            });
        })
    };
    (*busy, (*export_error).clone(), export)
}

/// The 年度评估 report of the user's county or community for `year`, fetched when the year changes.
#[hook]
pub fn use_annual(year: u16) -> Loaded<AnnualReport> {
    let session = use_session();
    let report = use_state(|| None);
    let (token, place) = session
        .session()
        .map(|s| (s.token.clone(), s.user.scope.clone()))
        .unwrap_or((String::new(), Scope::County(String::new())));
    {
        let report = report.clone();
        use_effect_with(year, move |year| {
            let year = *year;
            report.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                report.set(Some(api::place_annual(&token, &place, year).await));
            });
        });
    }
    (*report).clone()
}

/// The checklist versions the user's place sees (online only, like the overviews).
#[hook]
pub fn use_templates() -> Loaded<Vec<TemplateInfo>> {
    use_fetch(
        (),
        |token, ()| async move { Some(api::templates(&token).await) },
    )
}

/// One checklist version with what differs from its parent.
#[hook]
pub fn use_template(id: String, version: u32) -> Loaded<TemplateDetail> {
    use_fetch((id, version), |token, (id, version)| async move {
        Some(api::template(&token, &id, version).await)
    })
}

/// What `fetch` answers with the session's token for `key`: `None` while it loads, fetched again when the
/// key changes; a fetch that answers `None` (nothing to fetch for this key) leaves it `None`.
#[hook]
fn use_fetch<K, T, F, Fut>(key: K, fetch: F) -> Loaded<T>
where
    K: PartialEq + Clone + 'static,
    T: Clone + 'static,
    F: Fn(String, K) -> Fut + 'static,
    Fut: std::future::Future<Output = Loaded<T>> + 'static,
{
    let session = use_session();
    let found = use_state(|| None);
    let token = session
        .session()
        .map(|s| s.token.clone())
        .unwrap_or_default();
    {
        let found = found.clone();
        use_effect_with(key, move |key| {
            found.set(None);
            let pending = fetch(token, key.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(answer) = pending.await {
                    found.set(Some(answer));
                }
            });
        });
    }
    (*found).clone()
}
