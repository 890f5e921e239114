//! # zhigai-server
//!
//! The zhigai sync server and command-line tool: axum + tokio, storage through sqlx (SQLite by default,
//! PostgreSQL at scale), automerge-repo sync over WebSocket with a permission check on every message.
//! `main.rs` only parses the command line; everything is here so tests reuse it.
//!
//! - [`startup::Application`] builds and runs the server; [`http`] is the API, [`docs`] the document hub
//!   (one task per open document, durable before acknowledged), [`db`] the storage.
//! - [`client`] is a native sync client over the same protocol code, used by tests and the load tool.
//! - [`cli`] has the commands: `serve`, `demo`, `admin …`, `template …`, `bench`.

pub mod auth;
pub mod bench;
pub mod bench_county;
pub mod blobs;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod county;
pub mod db;
pub mod demo;
pub mod docs;
pub mod export;
pub mod fuzz;
pub mod http;
pub mod places;
pub mod startup;
pub mod templates;
