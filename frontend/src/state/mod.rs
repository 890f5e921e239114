//! View state computed from the documents: plain functions, tested natively.

pub mod county;
pub mod problems;
