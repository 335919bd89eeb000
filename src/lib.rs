//! loyalty-wallet: loyalty points that shoppers turn into one-off discount
//! codes. Modules mirror the layers of docs/DESIGN.md.

pub mod api;
pub mod auth;
pub mod bench;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dev;
pub mod domain;
pub mod error;
pub(crate) mod metrics;
pub mod platform;
mod server_io;
pub mod startup;
pub mod store;
pub mod telemetry;
