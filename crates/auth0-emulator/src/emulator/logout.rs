//! The [`EmulatorBuilder`] settings and [`RunningEmulator`] test hooks of
//! [`crate::endpoints::logout`].

use std::io;

use crate::emulator::RunningEmulator;
use crate::endpoints::logout::{logout_token, post_logout_token};
use crate::tenant::session::LogoutRecord;

impl RunningEmulator {
    /// A back-channel logout token for `client_id`, signed RS256 with the current key: `iss`,
    /// `aud` = `client_id`, `iat`, `exp` (120 s later), `jti`, `events` with the
    /// `http://schemas.openid.net/event/backchannel-logout` member, and `sub` / `sid` as given.
    /// Empty if signing fails (it does not).
    pub fn logout_token(&self, client_id: &str, sub: Option<&str>, sid: Option<&str>) -> String {
        logout_token(self.shared(), client_id, sub, sid).unwrap_or_default()
    }

    /// POSTs `logout_token=<`[`RunningEmulator::logout_token`]`>` (a form) to the
    /// `backchannel_logout_uri` registered for `client_id`; returns the HTTP status it answered.
    ///
    /// # Errors
    /// `NotFound` when the client is unknown or has no back-channel logout URI, `InvalidInput`
    /// when that URI is not plain `http://` to a loopback host, `TimedOut` after 10 seconds, and
    /// connection or protocol errors as they come.
    pub async fn send_backchannel_logout(
        &self,
        client_id: &str,
        sub: Option<&str>,
        sid: Option<&str>,
    ) -> io::Result<u16> {
        let uri = self
            .shared()
            .tenant
            .clients
            .get(client_id)
            .and_then(|c| c.config.browser.backchannel_logout_uri.clone())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("client {client_id} is unknown or has no backchannel_logout_uri"),
                )
            })?;
        let token = self.logout_token(client_id, sub, sid);
        post_logout_token(&uri, &token).await
    }

    /// Every logout request received (`/oidc/logout`, `/v2/logout`), in order.
    pub fn logouts(&self) -> Vec<LogoutRecord> {
        self.shared().browser.data().logouts.clone()
    }
}
