//! The county overview's data for one year: the summary rows and the overdue rectifications, fetched when
//! the year changes, and the exports, whose failures are kept for the page to show.

use crate::hooks::use_session::use_session;
use crate::services::api::{self, ApiError};
use yew::prelude::*;
use zhigai_shared::api::{AnnualReport, CountySummary, OverdueRow};

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

/// The county overview of `year` for the logged-in reviewer's county.
#[hook]
pub fn use_county(year: u16) -> CountyHandle {
    let session = use_session();
    let summary = use_state(|| None);
    let overdue = use_state(|| None);
    let busy = use_state(|| false);
    let export_error = use_state(|| None::<ApiError>);
    let (token, county) = session
        .session()
        .map(|s| (s.token.clone(), s.user.county_id.clone()))
        .unwrap_or_default();
    {
        let (summary, overdue) = (summary.clone(), overdue.clone());
        let (token, county) = (token.clone(), county.clone());
        use_effect_with(year, move |year| {
            let year = *year;
            summary.set(None);
            overdue.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                summary.set(Some(api::county_summary(&token, &county, year).await));
                overdue.set(Some(api::county_overdue(&token, &county, year).await));
            });
        });
    }
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
    CountyHandle {
        summary: (*summary).clone(),
        overdue: (*overdue).clone(),
        busy: *busy,
        export_error: (*export_error).clone(),
        export,
    }
}

/// The county's 年度评估 report for `year`, fetched when the year changes.
#[hook]
pub fn use_annual(year: u16) -> Loaded<AnnualReport> {
    let session = use_session();
    let report = use_state(|| None);
    let (token, county) = session
        .session()
        .map(|s| (s.token.clone(), s.user.county_id.clone()))
        .unwrap_or_default();
    {
        let report = report.clone();
        use_effect_with(year, move |year| {
            let year = *year;
            report.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                report.set(Some(api::county_annual(&token, &county, year).await));
            });
        });
    }
    (*report).clone()
}
