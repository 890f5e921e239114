//! # zhigai-shared
//!
//! The domain of zhigai (质改), the self-inspection and rectification tool for the primary-care
//! medical-quality improvement action 2026–2028. Pure code with no I/O, compiled natively for the server
//! and to wasm for the clinic app, so both sides share one understanding of the checklist and documents.
//!
//! - [`template`]: the checklist template (the plan's nine work tasks as areas of check items), with
//!   applicability rules over [`facility`] types and services; [`Template::national`] is the baseline.
//! - [`doc`]: the typed Automerge documents — [`Inspection`] (written by facility staff) and [`Review`]
//!   (written by county reviewers). Reads return plain views, every write carries a [`Stamp`] (who, when),
//!   concurrent edits merge, and same-field conflicts are listed and resolved, never silently lost.
//! - [`sync`]: the automerge-repo v1 protocol (messages, CBOR framing, document ids, the client session),
//!   the same code in the server and the browser.
//! - [`calendar`]: the phases of the plan's year.
//!
//! ```
//! use zhigai_shared::{Author, FacilityId, Inspection, ItemId, Stamp, Status, Template, Timestamp};
//!
//! let mut doc = Inspection::create(&FacilityId::from("f-1"), 2026, Template::national()).unwrap();
//! let stamp = Stamp::new(Author::new("u-wang", "王医生"), Timestamp(1_767_225_600_000));
//! doc.set_status(&ItemId::from("T5.04"), Some(Status::Compliant), &stamp).unwrap();
//! assert_eq!(doc.item(&ItemId::from("T5.04")).unwrap().status, Some(Status::Compliant));
//! ```

pub mod access;
pub mod api;
pub mod calendar;
pub mod carry;
pub mod doc;
pub mod facility;
pub mod ids;
pub mod photo;
pub mod summary;
pub mod sync;
pub mod template;

pub use doc::{
    AcceptedChange, Author, Conflict, ConflictValue, Date, DocError, Document, FieldValue,
    FractionPart, HistoryEntry, Inspection, InspectionField, InspectionView, ItemView, NewProblem,
    Op, Owner, ProblemChange, ProblemField, ProblemStatus, ProblemView, Refusal, Review,
    ReviewField, ReviewState, ReviewView, Stamp, Status, Submission, SyncState, Timestamp, Touched,
    Verdict, Writer,
};
pub use facility::{FacilityProfile, FacilityType, Service, Wave, wave};
pub use ids::{
    AreaId, CommentId, FacilityId, ItemId, PhotoId, ProblemId, TemplateId, UserId, Year,
};
pub use template::{Area, Item, Template};
