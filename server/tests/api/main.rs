//! End-to-end tests of the sync server, each on a fresh database, each against SQLite and PostgreSQL.

mod helpers;

mod auth;
mod bad_input;
mod county;
mod crash;
mod instances;
mod levels;
mod outage;
mod permissions;
mod photos;
mod rest;
mod static_files;
mod stock_client;
mod sync;
mod templates;
mod untrusted;
mod upgrade;
