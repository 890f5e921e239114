//! Pages: one per route.

pub mod home;
