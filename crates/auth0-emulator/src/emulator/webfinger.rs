//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of [`crate::endpoints::webfinger`].

use std::collections::HashMap;
use std::sync::Arc;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use crate::emulator::EmulatorBuilder;
use crate::tenant::error::OAuthError;
use crate::tenant::state::Shared;
use crate::endpoints::webfinger::*;

impl EmulatorBuilder {
    /// Routes users whose email is at `email_domain` (e.g. `acme.com`, compared
    /// case-insensitively) to the enterprise connection `connection`: WebFinger home-realm
    /// discovery then answers `200` for that domain (and `404` for others).
    pub fn enterprise_domain(mut self, email_domain: &str, connection: &str) -> Self {
        let domain = email_domain.trim().to_lowercase();
        self.accounts
            .enterprise_domains
            .retain(|(d, _)| *d != domain);
        self.accounts
            .enterprise_domains
            .push((domain, connection.to_owned()));
        self
    }
}
