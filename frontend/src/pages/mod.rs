//! The app's pages.

pub mod area;
pub mod home;
pub mod login;
pub mod problems;
