//! Layer 1, the tenant model: configuration, state, keys, users, sessions, the clock, the
//! request log and faults. Imports nothing else from the crate.

pub(crate) mod accounts;
pub(crate) mod config;
pub(crate) mod device_dpop;
pub(crate) mod error;
pub(crate) mod exchange_config;
pub(crate) mod faults;
pub(crate) mod flows;
pub mod keys;
pub(crate) mod log;
pub(crate) mod rbac;
pub(crate) mod session;
pub(crate) mod state;
