//! I/O at the edge: the REST API, IndexedDB, the sync socket, localStorage, the clock and the browser's
//! network events, and page loads between the clinic and the review app. Services carry out what the state
//! asks for; they hold no domain rules.

pub mod api;
pub mod boot;
pub mod clock;
pub mod location;
pub mod network;
pub mod photos;
pub mod session;
pub mod socket;
pub mod store;
