//! Pure business rules: no I/O, no database, no HTTP.
//! Everything here is parsed once at the door and trusted afterwards.

pub(crate) mod campaign;
mod campaign_parse;
pub mod claim;
pub mod code;
pub(crate) mod code_template;
pub(crate) mod csv;
pub(crate) mod earning;
pub(crate) mod event;
pub mod ids;
pub(crate) mod incremental;
pub mod lift;
pub mod lots;
pub mod money;
pub(crate) mod notify;
pub(crate) mod offer_value;
pub(crate) mod platform_event;
pub mod points;
pub(crate) mod profile;
pub mod program;
pub mod refusal;
pub(crate) mod scan;
pub(crate) mod signature;
pub(crate) mod state;
pub(crate) mod time;
pub(crate) mod url;
