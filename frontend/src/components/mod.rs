//! Pieces shared by the pages: views only.

pub mod badges;
pub mod conflicts;
pub mod dialog;
pub mod header;
pub mod history;
pub mod note;
pub mod photos;
pub mod review;
