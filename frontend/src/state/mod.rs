//! App state as pure data and reducers, tested natively without a browser.

pub mod areas;
