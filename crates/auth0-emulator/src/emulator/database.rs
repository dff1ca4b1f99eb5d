//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of [`crate::endpoints::database`].

use std::fmt;
use std::sync::Arc;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use crate::tenant::accounts::looks_like_email;
use crate::tenant::state::random_hex;
use crate::tenant::config::UserConfig;
use crate::emulator::RunningEmulator;
use crate::tenant::error::OAuthError;
use crate::tenant::flows::find_organization;
use crate::protocol::params::Params;
use crate::tenant::state::{RegisteredClient, Shared, now_secs, random_token};
use crate::endpoints::database::*;
use crate::tenant::accounts::PasswordChangeTicket;

impl RunningEmulator {
    /// Every password change asked for so far (`POST /dbconnections/change_password`), in
    /// order, whether or not the user exists.
    pub fn password_change_tickets(&self) -> Vec<PasswordChangeTicket> {
        self.shared().store().accounts.tickets.clone()
    }
}
