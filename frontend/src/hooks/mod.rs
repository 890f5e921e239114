//! Providers and the hooks that hand their state to views as handles with domain methods. The only place
//! where views' wishes meet services.

pub mod use_county;
pub mod use_photos;
pub mod use_session;
pub mod use_workspace;

pub use crate::services::api::ApiError;
pub use crate::services::boot::Field;
pub use use_county::{
    Loaded, use_annual, use_common_item, use_county, use_rollup, use_template, use_templates,
};
pub use use_photos::PhotoProvider;
pub use use_session::{SessionProvider, use_session};
pub use use_workspace::{WorkspaceHandle, WorkspaceProvider, use_workspace};
