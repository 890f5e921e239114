//! Pieces shared by the pages.

pub mod conflicts;
pub mod header;
pub mod history;
pub mod note;
pub mod review;
