//! The app's pages.

pub mod annual;
pub mod area;
pub mod county;
pub mod home;
pub mod login;
pub mod print;
pub mod problems;
pub mod rollup;
pub mod templates;
