//! Pure state: the workspace state machine and the view logic computed from documents and API rows. No
//! I/O; everything here is tested natively.

pub mod county;
pub mod figure;
pub mod photos;
pub mod problems;
pub mod session;
pub mod time;
pub mod workspace;
