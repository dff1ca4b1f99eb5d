//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of [`crate::endpoints::passkey`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use crate::tenant::config::{DEFAULT_CONNECTION, OrganizationConfig, UserConfig};
use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::error::OAuthError;
use crate::tenant::flows::find_organization;
use crate::tenant::state::random_hex;
use crate::protocol::params::Params;
use crate::tenant::state::{Shared, random_token};
use crate::tenant::passkey::*;
use crate::endpoints::passkey::*;

impl EmulatorBuilder {
    /// The WebAuthn relying party passkeys are bound to: its id (a domain, e.g. `localhost`)
    /// and the origin ceremonies must come from (e.g. `http://localhost:3000`). Defaults:
    /// `localhost` and `http://localhost:3000`.
    pub fn passkey_rp(mut self, rp_id: &str, origin: &str) -> Self {
        rp_id.clone_into(&mut self.factors.passkey_rp_id);
        origin.clone_into(&mut self.factors.passkey_origin);
        self
    }
}

impl RunningEmulator {
    /// The ids (base64url) of the passkeys registered for `user_id`.
    pub fn passkey_credential_ids(&self, user_id: &str) -> Vec<String> {
        let data = self.shared().factors.data();
        let mut ids: Vec<String> = data
            .passkeys
            .credentials
            .iter()
            .filter(|(_, c)| c.user_id == user_id)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}
