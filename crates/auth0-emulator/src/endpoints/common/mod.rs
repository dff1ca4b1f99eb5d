//! What every endpoint family may share: HTML pages. Imports only [`crate::tenant`] and
//! [`crate::protocol`], never a family module.

pub(crate) mod html;
