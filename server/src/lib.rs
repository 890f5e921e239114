//! # zhigai-server
//!
//! The zhigai sync server and command-line tool. For now it offers the checklist template on the command
//! line (`template export`, `template applicable`); the sync server arrives on top of the same crate.

pub mod cli;
