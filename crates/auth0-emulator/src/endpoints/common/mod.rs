//! What every endpoint family may share: HTML pages ([`html`]) and how browser-facing
//! endpoints refuse ([`refusal`]).
//!
//! May import: [`crate::tenant`] and [`crate::protocol`], never a family module.

pub(crate) mod html;
pub(crate) mod refusal;
