//! The app's paths, for links in every view (the shell in `app.rs` decides what each one shows).

use yew_router::prelude::*;

/// The app's paths. The server answers every one of them with `index.html`, and so does the service worker
/// offline.
#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    /// Sends the user to their facility.
    #[at("/")]
    Root,
    /// A facility's home page.
    #[at("/f/:fid")]
    Facility {
        /// The facility id.
        fid: String,
    },
    /// One area's items.
    #[at("/f/:fid/area/:area")]
    Area {
        /// The facility id.
        fid: String,
        /// `T1` … `T9`.
        area: String,
    },
    /// The problem list.
    #[at("/f/:fid/problems")]
    Problems {
        /// The facility id.
        fid: String,
    },
    /// The problem list of one item, with the form to add one open.
    #[at("/f/:fid/problems/item/:item")]
    ProblemsForItem {
        /// The facility id.
        fid: String,
        /// The item id.
        item: String,
    },
    /// The overview of the user's own place (reviewers, viewers and admins at every level).
    #[at("/county")]
    County,
    /// The overview of a place within the user's reach (a city reviewer opening one of its counties).
    #[at("/place/:level/:id")]
    Place {
        /// `community`, `county`, `city` or `province`.
        level: String,
        /// Its id.
        id: String,
    },
    /// The county's annual report (年度评估) of a year.
    #[at("/county/annual/:year")]
    CountyAnnual {
        /// The year.
        year: u16,
    },
    /// A facility's annual summary of the year shown.
    #[at("/f/:fid/annual")]
    Annual {
        /// The facility id.
        fid: String,
    },
    /// A facility's printable self-inspection table.
    #[at("/f/:fid/print")]
    Print {
        /// The facility id.
        fid: String,
    },
    /// The checklist versions the user's place sees.
    #[at("/templates")]
    Templates,
    /// One checklist version, read-only, with what differs from its parent.
    #[at("/templates/:id/:version")]
    TemplateView {
        /// The template id.
        id: String,
        /// Its version.
        version: u32,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}
