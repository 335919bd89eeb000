//! Pure business rules: no I/O, no database, no HTTP.
//! Everything here is parsed once at the door and trusted afterwards.

pub mod campaign;
mod campaign_parse;
pub mod claim;
pub mod code;
pub mod code_template;
pub mod csv;
pub mod earning;
pub mod event;
pub mod ids;
pub mod lift;
pub mod lots;
pub mod money;
pub mod notify;
pub mod offer_value;
pub mod platform_event;
pub mod points;
pub mod program;
pub mod refusal;
pub mod scan;
pub mod signature;
pub mod state;
pub mod time;
pub mod url;
