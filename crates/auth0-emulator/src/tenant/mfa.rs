//! What MFA ([`crate::endpoints::mfa`]) and passkeys are configured with and remember while
//! the tenant runs: settings, users' authenticators and recovery codes, pending out-of-band
//! codes and the messages "sent"; plus the small value helpers these use.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use rand::Rng as _;
use serde_json::{Value, json};

use crate::tenant::config::UserConfig;
use crate::tenant::state::{Shared, lock, now_secs, random_hex, random_token};

/// How long an `oob_code` stays usable, in seconds.
pub(crate) const OOB_CODE_LIFETIME: u64 = 300;

/// Pending logins kept before expired ones are swept.
pub(crate) const SWEEP_ABOVE: usize = 1024;

/// MFA and passkey settings, set on the builder and fixed once the tenant starts.
#[derive(Clone)]
pub(crate) struct FactorConfig {
    /// The WebAuthn relying-party id passkeys are bound to.
    pub passkey_rp_id: String,
    /// The origin passkey ceremonies must come from.
    pub passkey_origin: String,
    /// OTP authenticators enrolled (and active) from the start: (user id, base32 secret).
    pub otp_enrollments: Vec<(String, String)>,
}

impl Default for FactorConfig {
    fn default() -> Self {
        Self {
            passkey_rp_id: "localhost".to_owned(),
            passkey_origin: "http://localhost:3000".to_owned(),
            otp_enrollments: Vec::new(),
        }
    }
}

impl fmt::Debug for FactorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self
            .otp_enrollments
            .iter()
            .map(|(u, _)| u.as_str())
            .collect();
        f.debug_struct("FactorConfig")
            .field("passkey_rp_id", &self.passkey_rp_id)
            .field("passkey_origin", &self.passkey_origin)
            .field("otp_enrollments (users)", &users)
            .finish()
    }
}

/// The run-time state of MFA and passkeys, behind one lock.
#[derive(Default)]
pub(crate) struct FactorStore {
    pub(crate) data: Mutex<FactorData>,
}

impl FactorStore {
    /// Locks the state. Never held while the tenant's main store is locked.
    pub(crate) fn data(&self) -> MutexGuard<'_, FactorData> {
        lock(&self.data)
    }
}

impl fmt::Debug for FactorStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactorStore").finish_non_exhaustive()
    }
}

/// MFA and passkey state.
#[derive(Default)]
pub(crate) struct FactorData {
    /// Authenticators, recovery codes, pending out-of-band codes, sent messages.
    pub mfa: MfaState,
    /// Passkey sessions and credentials.
    pub passkeys: crate::tenant::passkey::PasskeyState,
}

/// A message the tenant "sent" for MFA (recorded instead of texted, phoned, emailed or pushed).
#[derive(Clone, PartialEq, Eq)]
pub struct MfaMessage {
    /// The user it is for.
    pub user_id: String,
    /// `sms`, `voice`, `email` or `auth0` (a push notification).
    pub channel: String,
    /// The phone number or email address it went to; for push, the user's login.
    pub recipient: String,
    /// The six-digit code the user must type back (`binding_code`); `None` for push.
    pub binding_code: Option<String>,
}

impl fmt::Debug for MfaMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaMessage")
            .field("user_id", &self.user_id)
            .field("channel", &self.channel)
            .field("recipient", &self.recipient)
            .field(
                "binding_code",
                &self.binding_code.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// An out-of-band channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    Sms,
    Voice,
    Auth0,
    Email,
}

impl Channel {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "sms" => Self::Sms,
            "voice" => Self::Voice,
            "auth0" => Self::Auth0,
            "email" => Self::Email,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Auth0 => "auth0",
            Self::Email => "email",
        }
    }

    /// The prefix of authenticator ids on this channel.
    pub(crate) fn id_prefix(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Auth0 => "push",
            Self::Email => "email",
        }
    }

    /// Whether the user types back a binding code (all but push).
    pub(crate) fn prompts(self) -> bool {
        self != Self::Auth0
    }
}

/// What an authenticator is.
pub(crate) enum Factor {
    /// A TOTP app: its base32 secret and the last time step accepted.
    Otp {
        secret: String,
        last_step: Option<u64>,
    },
    /// An out-of-band channel and where it reaches the user.
    Oob {
        channel: Channel,
        recipient: Option<String>,
    },
}

/// One authenticator of a user.
pub(crate) struct Authenticator {
    pub(crate) id: String,
    pub(crate) factor: Factor,
    /// False until the first successful verification.
    pub(crate) active: bool,
}

impl Authenticator {
    /// `otp` or `oob`.
    pub(crate) fn kind(&self) -> &'static str {
        match self.factor {
            Factor::Otp { .. } => "otp",
            Factor::Oob { .. } => "oob",
        }
    }

    /// As `GET /mfa/authenticators` lists it.
    pub(crate) fn listing(&self) -> Value {
        let mut entry = json!({
            "id": self.id,
            "authenticator_type": self.kind(),
            "active": self.active,
        });
        if let Factor::Oob { channel, recipient } = &self.factor {
            entry["oob_channel"] = Value::from(channel.as_str());
            entry["oob_channels"] = json!([channel.as_str()]);
            if let Some(recipient) = recipient {
                entry["name"] = Value::from(mask(recipient));
            }
        }
        entry
    }
}

/// A user's recovery code, listed as a `recovery-code` authenticator.
pub(crate) struct Recovery {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) active: bool,
}

/// Everything MFA knows about one user.
#[derive(Default)]
pub(crate) struct UserFactors {
    pub(crate) authenticators: Vec<Authenticator>,
    pub(crate) recovery: Option<Recovery>,
}

impl UserFactors {
    /// Marks `authenticator_id` (and the recovery code) active.
    pub(crate) fn activate(&mut self, authenticator_id: &str) {
        if let Some(a) = self
            .authenticators
            .iter_mut()
            .find(|a| a.id == authenticator_id)
        {
            a.active = true;
        }
        if let Some(r) = &mut self.recovery {
            r.active = true;
        }
    }

    /// Creates the recovery code on the first enrollment; returns it only then.
    pub(crate) fn first_recovery_code(&mut self) -> Option<String> {
        if self.recovery.is_some() {
            return None;
        }
        let code = recovery_code();
        self.recovery = Some(Recovery {
            id: format!("recovery-code|dev_{}", random_hex(8)),
            code: code.clone(),
            active: false,
        });
        Some(code)
    }
}

/// A push notification's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    Waiting,
    Approved,
    Rejected,
}

/// An `oob_code` waiting for the MFA OOB grant.
pub(crate) struct PendingOob {
    pub(crate) user_id: String,
    pub(crate) authenticator_id: String,
    /// The login it belongs to.
    pub(crate) mfa_token: String,
    /// The code the user must type back, for `prompt`.
    pub(crate) binding_code: Option<String>,
    /// For push: the user's answer so far.
    pub(crate) push: Option<Push>,
    pub(crate) expires_at: u64,
    pub(crate) wrong_attempts: u32,
}

/// MFA state: factors by user id, pending `oob_code`s, and every message sent.
#[derive(Default)]
pub(crate) struct MfaState {
    pub(crate) users: HashMap<String, UserFactors>,
    pub(crate) oob_codes: HashMap<String, PendingOob>,
    pub(crate) messages: Vec<MfaMessage>,
}

impl MfaState {
    /// The factors of `user_id`, starting with the OTP authenticators configured for them.
    pub(crate) fn user(&mut self, config: &FactorConfig, user_id: &str) -> &mut UserFactors {
        self.users.entry(user_id.to_owned()).or_insert_with(|| {
            let authenticators = config
                .otp_enrollments
                .iter()
                .filter(|(u, _)| u == user_id)
                .map(|(_, secret)| Authenticator {
                    id: format!("totp|dev_{}", random_hex(8)),
                    factor: Factor::Otp {
                        secret: secret.clone(),
                        last_step: None,
                    },
                    active: true,
                })
                .collect();
            UserFactors {
                authenticators,
                recovery: None,
            }
        })
    }

    /// Removes the authenticator `id` of `user_id` and its pending codes; false if unknown.
    pub(crate) fn remove(&mut self, config: &FactorConfig, user_id: &str, id: &str) -> bool {
        let factors = self.user(config, user_id);
        if factors.recovery.as_ref().is_some_and(|r| r.id == id) {
            factors.recovery = None;
            return true;
        }
        let before = factors.authenticators.len();
        factors.authenticators.retain(|a| a.id != id);
        if factors.authenticators.len() == before {
            return false;
        }
        self.oob_codes.retain(|_, p| p.authenticator_id != id);
        true
    }

    /// Issues an `oob_code` for `authenticator` and "sends" its message; returns the code and
    /// whether the user must type a binding code.
    pub(crate) fn send_oob(
        &mut self,
        user: &UserConfig,
        mfa_token: &str,
        authenticator_id: &str,
        channel: Channel,
        recipient: Option<&str>,
    ) -> (String, bool) {
        let now = now_secs();
        if self.oob_codes.len() > SWEEP_ABOVE {
            self.oob_codes.retain(|_, p| p.expires_at > now);
        }
        let oob_code = random_token(24);
        let binding_code = channel.prompts().then(six_digits);
        self.oob_codes.insert(
            oob_code.clone(),
            PendingOob {
                user_id: user.user_id.clone(),
                authenticator_id: authenticator_id.to_owned(),
                mfa_token: mfa_token.to_owned(),
                binding_code: binding_code.clone(),
                push: (!channel.prompts()).then_some(Push::Waiting),
                expires_at: now + OOB_CODE_LIFETIME,
                wrong_attempts: 0,
            },
        );
        self.messages.push(MfaMessage {
            user_id: user.user_id.clone(),
            channel: channel.as_str().to_owned(),
            recipient: recipient.unwrap_or_else(|| user.login()).to_owned(),
            binding_code,
        });
        (oob_code, channel.prompts())
    }
}

impl fmt::Debug for MfaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaState")
            .field("users", &self.users.len())
            .field("pending_oob_codes", &self.oob_codes.len())
            .field("messages", &self.messages.len())
            .finish()
    }
}

/// A random six-digit code.
pub(crate) fn six_digits() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// A random recovery code: 24 upper-case letters and digits.
pub(crate) fn recovery_code() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// A recovery code as typed, normalised (upper case, no spaces or dashes).
pub(crate) fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A phone number or email address with most of it hidden, as authenticator names show them.
pub(crate) fn mask(recipient: &str) -> String {
    if let Some((local, domain)) = recipient.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let count = recipient.chars().count();
    let keep = count.min(4);
    let hidden = "X".repeat(count - keep);
    let tail: String = recipient.chars().skip(count - keep).collect();
    format!("{hidden}{tail}")
}

/// Percent-encodes all but unreserved characters and `@` (for `otpauth://` URIs).
pub(crate) fn uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The tenant's name in `otpauth://` URIs: the issuer's host.
pub(crate) fn tenant_name(shared: &Shared) -> String {
    url::Url::parse(&shared.tenant.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "auth0-emulator".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::accounts::is_e164;

    #[test]
    fn helpers() {
        assert_eq!(mask("+14155550100"), "XXXXXXXX0100");
        assert_eq!(mask("jane@example.com"), "j***@example.com");
        assert_eq!(mask("12"), "12");
        assert!(is_e164("+14155550100") && !is_e164("14155550100") && !is_e164("+0123"));
        assert_eq!(uri_component("a b:c@d"), "a%20b%3Ac@d");
        let code = recovery_code();
        assert_eq!(code.len(), 24);
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(normalise_recovery_code("ab-cd ef"), "ABCDEF");
        assert_eq!(six_digits().len(), 6);
    }

    #[test]
    fn debug_hides_codes() {
        let m = MfaMessage {
            user_id: "u".into(),
            channel: "sms".into(),
            recipient: "+1555".into(),
            binding_code: Some("123456".into()),
        };
        assert!(!format!("{m:?}").contains("123456"));
        let c = FactorConfig {
            otp_enrollments: vec![("u".into(), "JBSWY3DPEHPK3PXP".into())],
            ..FactorConfig::default()
        };
        assert!(!format!("{c:?}").contains("JBSWY3DPEHPK3PXP"));
    }
}
