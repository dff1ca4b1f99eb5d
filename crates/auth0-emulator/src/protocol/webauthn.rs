//! WebAuthn for passkeys: a [`SoftwareAuthenticator`] that plays the browser and the
//! authenticator in tests, and the relying-party checks the tenant runs on what it gets back
//! (client data, authenticator data, `none` attestation, ES256 / RS256 assertion signatures).
//!
//! ```
//! use auth0_emulator::webauthn::SoftwareAuthenticator;
//! use serde_json::json;
//!
//! let mut authenticator = SoftwareAuthenticator::new("localhost", "http://localhost:3000");
//! // `options` is the `authn_params_public_key` of a `POST /passkey/register` answer.
//! let options = json!({
//!     "challenge": "Y2hhbGxlbmdl",
//!     "rp": {"id": "localhost", "name": "Example"},
//!     "user": {"id": "dXNlcg", "name": "jane@example.com", "displayName": "Jane"},
//!     "pubKeyCredParams": [{"type": "public-key", "alg": -7}]
//! });
//! let credential = authenticator.create(&options);
//! assert_eq!(credential["type"], "public-key");
//! // Later, for the `authn_params_public_key` of `POST /passkey/challenge`:
//! let assertion = authenticator.get(&json!({"challenge": "bmV4dA", "rpId": "localhost"}));
//! assert!(assertion.unwrap()["response"]["signature"].is_string());
//! ```
//!
//! To exercise the tenant's refusals, use the `*_with_origin` variants, an authenticator made
//! for another RP id, [`SoftwareAuthenticator::set_sign_count`], or edit the returned JSON: every
//! binary field is base64url, so a test can decode `response.signature` (or
//! `clientDataJSON`), change a byte, and encode it again.

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::protocol::cbor::{self, Cbor};
use crate::tenant::error::OAuthError;
use crate::tenant::passkey::{Ceremony, CredentialKey};

/// Authenticator-data flag: user present.
const FLAG_UP: u8 = 0x01;
/// Authenticator-data flag: user verified.
const FLAG_UV: u8 = 0x04;
/// Authenticator-data flag: attested credential data included.
const FLAG_AT: u8 = 0x40;

/// COSE algorithm ES256.
const COSE_ES256: i64 = -7;
/// COSE algorithm RS256.
const COSE_RS256: i64 = -257;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url with or without padding (standard base64 is accepted too, as some
/// clients send it).
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(trimmed).ok().or_else(|| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .ok()
    })
}

/// A passkey the software authenticator holds.
struct HeldCredential {
    id: Vec<u8>,
    rp_id: String,
    user_handle: Vec<u8>,
    key: EcdsaKeyPair,
    sign_count: u32,
}

/// A software passkey authenticator (and the browser around it) for tests: it makes P-256
/// credentials for `navigator.credentials.create()` options and signs assertions for
/// `navigator.credentials.get()` options, answering with the JSON `PublicKeyCredential.toJSON()`
/// produces. It always reports the user present and verified, and uses `none` attestation.
pub struct SoftwareAuthenticator {
    rp_id: String,
    origin: String,
    credentials: Vec<HeldCredential>,
}

impl fmt::Debug for SoftwareAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareAuthenticator")
            .field("rp_id", &self.rp_id)
            .field("origin", &self.origin)
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

impl SoftwareAuthenticator {
    /// An authenticator with no credentials, as used by a page at `origin` (e.g.
    /// `http://localhost:3000`) for relying party `rp_id` (e.g. `localhost`). The RP id is what
    /// its authenticator data is bound to (SHA-256 of it), whatever the options say.
    pub fn new(rp_id: &str, origin: &str) -> Self {
        Self {
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
            credentials: Vec::new(),
        }
    }

    /// The RP id.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The origin written into client data.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// How many credentials it holds.
    pub fn credential_count(&self) -> usize {
        self.credentials.len()
    }

    /// The ids (base64url) of the credentials it holds, oldest first.
    pub fn credential_ids(&self) -> Vec<String> {
        self.credentials.iter().map(|c| b64(&c.id)).collect()
    }

    /// Sets the signature counter of credential `credential_id` (base64url); the next assertion
    /// reports `count + 1`. Returns whether the credential exists.
    pub fn set_sign_count(&mut self, credential_id: &str, count: u32) -> bool {
        let Some(id) = b64_decode(credential_id) else {
            return false;
        };
        self.credentials
            .iter_mut()
            .find(|c| c.id == id)
            .map(|c| c.sign_count = count)
            .is_some()
    }

    /// Makes a P-256 credential for creation options (the `authn_params_public_key` of a
    /// `POST /passkey/register` answer) and returns the browser-shaped credential JSON:
    /// `{id, rawId, type, authenticatorAttachment, response: {clientDataJSON,
    /// attestationObject, authenticatorData, publicKey, publicKeyAlgorithm, transports},
    /// clientExtensionResults}` with a `none` attestation.
    ///
    /// Returns `Value::Null` only if the system's crypto library cannot make a key.
    pub fn create(&mut self, options: &Value) -> Value {
        let origin = self.origin.clone();
        self.create_with_origin(options, &origin)
    }

    /// [`SoftwareAuthenticator::create`] with another origin in the client data.
    pub fn create_with_origin(&mut self, options: &Value, origin: &str) -> Value {
        let Ok(key) = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_ASN1_SIGNING) else {
            return Value::Null;
        };
        let mut id = vec![0u8; 32];
        rand::rng().fill_bytes(&mut id);
        let user_handle = options
            .pointer("/user/id")
            .and_then(Value::as_str)
            .and_then(b64_decode)
            .unwrap_or_default();
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let client_data = client_data("webauthn.create", challenge, origin);

        let point = key.public_key().as_ref().to_vec();
        let (x, y) = match point.as_slice() {
            [0x04, rest @ ..] if rest.len() == 64 => (rest[..32].to_vec(), rest[32..].to_vec()),
            _ => return Value::Null,
        };
        let Ok(cose_key) = cbor::encode(&Cbor::Map(vec![
            (cbor::int(1), cbor::int(2)),
            (cbor::int(3), cbor::int(COSE_ES256)),
            (cbor::int(-1), cbor::int(1)),
            (cbor::int(-2), Cbor::Bytes(x)),
            (cbor::int(-3), Cbor::Bytes(y)),
        ])) else {
            return Value::Null;
        };
        let mut auth_data = auth_data_head(&self.rp_id, FLAG_UP | FLAG_UV | FLAG_AT, 0);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
        auth_data.extend_from_slice(&u16::try_from(id.len()).unwrap_or(32).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_key);
        let Ok(attestation) = cbor::encode(&Cbor::Map(vec![
            (cbor::text("fmt"), cbor::text("none")),
            (cbor::text("attStmt"), Cbor::Map(Vec::new())),
            (cbor::text("authData"), Cbor::Bytes(auth_data.clone())),
        ])) else {
            return Value::Null;
        };
        let spki = key
            .public_key()
            .as_der()
            .map(|d| b64(d.as_ref()))
            .unwrap_or_default();

        let credential = json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "attestationObject": b64(&attestation),
                "authenticatorData": b64(&auth_data),
                "publicKey": spki,
                "publicKeyAlgorithm": -7,
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        });
        self.credentials.push(HeldCredential {
            id,
            rp_id: self.rp_id.clone(),
            user_handle,
            key,
            sign_count: 0,
        });
        credential
    }

    /// Signs an assertion for request options (the `authn_params_public_key` of a
    /// `POST /passkey/challenge` answer) with the newest credential for this RP (among
    /// `allowCredentials` when the options list some), incrementing its signature counter.
    /// Returns the browser-shaped JSON `{id, rawId, type, authenticatorAttachment, response:
    /// {clientDataJSON, authenticatorData, signature, userHandle}, clientExtensionResults}`,
    /// or `None` when it holds no such credential or `rpId` names another RP.
    pub fn get(&mut self, options: &Value) -> Option<Value> {
        let origin = self.origin.clone();
        self.get_with_origin(options, &origin)
    }

    /// [`SoftwareAuthenticator::get`] with another origin in the client data.
    pub fn get_with_origin(&mut self, options: &Value, origin: &str) -> Option<Value> {
        if let Some(rp_id) = options.get("rpId").and_then(Value::as_str)
            && rp_id != self.rp_id
        {
            return None;
        }
        let allowed: Vec<Vec<u8>> = options
            .get("allowCredentials")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|c| c.get("id").and_then(Value::as_str).and_then(b64_decode))
                    .collect()
            })
            .unwrap_or_default();
        let rp_id = self.rp_id.clone();
        let credential = self
            .credentials
            .iter_mut()
            .rev()
            .find(|c| c.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&c.id)))?;
        credential.sign_count = credential.sign_count.wrapping_add(1);
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let client_data = client_data("webauthn.get", challenge, origin);
        let auth_data = auth_data_head(&rp_id, FLAG_UP | FLAG_UV, credential.sign_count);
        let mut message = auth_data.clone();
        message.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature = credential.key.sign(&SystemRandom::new(), &message).ok()?;
        Some(json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&credential.user_handle),
            },
            "clientExtensionResults": {},
        }))
    }
}

/// The client data JSON a browser builds.
fn client_data(kind: &str, challenge: &str, origin: &str) -> String {
    json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
        .to_string()
}

/// `rpIdHash || flags || signCount`.
fn auth_data_head(rp_id: &str, flags: u8, sign_count: u32) -> Vec<u8> {
    let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend_from_slice(&sign_count.to_be_bytes());
    out
}

// ----- relying-party checks ---------------------------------------------------------------

impl Ceremony {
    /// The client data `type` of this ceremony.
    fn client_data_type(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }
}

/// What a credential must match.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expected<'a> {
    /// The ceremony of the session.
    pub ceremony: Ceremony,
    /// The session's challenge (base64url, as sent).
    pub challenge: &'a str,
    /// The relying party's origin.
    pub origin: &'a str,
    /// The relying party id.
    pub rp_id: &'a str,
}

impl CredentialKey {
    /// Whether `signature` over `message` verifies with this key.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Es256(point) => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                .verify(message, signature)
                .is_ok(),
            Self::Rs256 { n, e } => signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
        }
    }
}

/// A credential registered by a sign-up.
#[derive(Debug, Clone)]
pub(crate) struct NewCredential {
    /// The credential id, base64url.
    pub id: String,
    /// Its public key.
    pub key: CredentialKey,
    /// The signature counter it reported.
    pub sign_count: u32,
}

/// A login assertion whose client and authenticator data passed; its signature still needs the
/// stored key.
#[derive(Debug, Clone)]
pub(crate) struct ParsedAssertion {
    /// The credential id, base64url.
    pub credential_id: String,
    /// The user handle, when sent.
    pub user_handle: Option<Vec<u8>>,
    /// The signature counter it reported.
    pub sign_count: u32,
    /// `authenticatorData || SHA-256(clientDataJSON)`.
    pub signed: Vec<u8>,
    /// The signature (DER for ES256).
    pub signature: Vec<u8>,
}

fn malformed(why: impl Into<String>) -> OAuthError {
    OAuthError::invalid_request(why)
}

fn refused(why: impl Into<String>) -> OAuthError {
    OAuthError::invalid_grant(why)
}

/// A base64url member of `object`, decoded.
fn binary(object: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<u8>, OAuthError> {
    let text = object
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("{path}.{key} is missing (a base64url string).")))?;
    b64_decode(text).ok_or_else(|| malformed(format!("{path}.{key} is not valid base64url.")))
}

/// The common part: the credential's shape, its id, and its client data.
struct Envelope<'a> {
    raw_id: Vec<u8>,
    response: &'a Map<String, Value>,
    client_data: Vec<u8>,
}

fn envelope<'a>(
    credential: &'a Value,
    expected: &Expected<'_>,
) -> Result<Envelope<'a>, OAuthError> {
    let object = credential.as_object().ok_or_else(|| {
        malformed("authn_response must be a JSON object (as PublicKeyCredential.toJSON() makes).")
    })?;
    match object.get("type").and_then(Value::as_str) {
        Some("public-key") => {}
        Some(other) => {
            return Err(malformed(format!(
                "authn_response.type must be public-key, got {other}."
            )));
        }
        None => return Err(malformed("authn_response.type is missing (public-key).")),
    }
    let raw_id = binary(object, "authn_response", "rawId")?;
    if raw_id.is_empty() {
        return Err(malformed("authn_response.rawId is empty."));
    }
    if let Some(id) = object.get("id").and_then(Value::as_str)
        && b64_decode(id).as_deref() != Some(raw_id.as_slice())
    {
        return Err(malformed(
            "authn_response.id and authn_response.rawId differ.",
        ));
    }
    let response = object
        .get("response")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("authn_response.response is missing (an object)."))?;
    let client_data = binary(response, "authn_response.response", "clientDataJSON")?;
    check_client_data(&client_data, expected)?;
    Ok(Envelope {
        raw_id,
        response,
        client_data,
    })
}

/// Checks the client data JSON: `type`, `challenge`, `origin`, not cross-origin.
fn check_client_data(bytes: &[u8], expected: &Expected<'_>) -> Result<(), OAuthError> {
    let data: Value = serde_json::from_slice(bytes)
        .map_err(|_| malformed("clientDataJSON is not valid JSON."))?;
    let text = |key: &str| data.get(key).and_then(Value::as_str);
    let wanted = expected.ceremony.client_data_type();
    match text("type") {
        Some(t) if t == wanted => {}
        Some(t) => {
            return Err(refused(format!(
                "clientDataJSON.type is {t}, but this auth_session expects {wanted}."
            )));
        }
        None => return Err(malformed("clientDataJSON.type is missing.")),
    }
    let challenge =
        text("challenge").ok_or_else(|| malformed("clientDataJSON.challenge is missing."))?;
    let same_challenge = challenge == expected.challenge
        || b64_decode(challenge).is_some_and(|c| Some(c) == b64_decode(expected.challenge));
    if !same_challenge {
        return Err(refused(
            "clientDataJSON.challenge does not match the challenge of this auth_session.",
        ));
    }
    let origin = text("origin").ok_or_else(|| malformed("clientDataJSON.origin is missing."))?;
    if origin != expected.origin {
        return Err(refused(format!(
            "clientDataJSON.origin {origin} is not the relying party's origin {}.",
            expected.origin
        )));
    }
    if data.get("crossOrigin").and_then(Value::as_bool) == Some(true) {
        return Err(refused("Cross-origin WebAuthn requests are not accepted."));
    }
    Ok(())
}

/// Parsed authenticator data.
struct AuthData {
    sign_count: u32,
    /// Attested credential data: credential id and the COSE key's CBOR.
    attested: Option<(Vec<u8>, Cbor)>,
}

fn parse_auth_data(bytes: &[u8], expected: &Expected<'_>) -> Result<AuthData, OAuthError> {
    if bytes.len() < 37 {
        return Err(malformed(format!(
            "authenticator data is {} bytes; at least 37 are needed.",
            bytes.len()
        )));
    }
    if bytes[..32] != Sha256::digest(expected.rp_id.as_bytes())[..] {
        return Err(refused(format!(
            "The authenticator data's rpIdHash is not SHA-256 of the RP id {}.",
            expected.rp_id
        )));
    }
    let flags = bytes[32];
    let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
    if flags & FLAG_UP == 0 {
        return Err(refused(
            "The authenticator data does not have the user-present flag set.",
        ));
    }
    if flags & FLAG_UV == 0 {
        return Err(refused(
            "The authenticator data does not have the user-verified flag set (userVerification is required).",
        ));
    }
    let attested = if flags & FLAG_AT != 0 {
        let rest = &bytes[37..];
        let bad = || malformed("The attested credential data is truncated.");
        let len_bytes = rest.get(16..18).ok_or_else(bad)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let id = rest.get(18..18 + len).ok_or_else(bad)?.to_vec();
        let key_bytes = rest.get(18 + len..).ok_or_else(bad)?;
        let (key, _) = cbor::decode(key_bytes)
            .map_err(|e| malformed(format!("The credential public key is not valid CBOR: {e}.")))?;
        Some((id, key))
    } else {
        None
    };
    Ok(AuthData {
        sign_count,
        attested,
    })
}

/// Reads a COSE_Key: EC2 P-256 with ES256, or RSA with RS256.
fn cose_key(key: &Cbor) -> Result<CredentialKey, OAuthError> {
    let int = |k: i64| {
        cbor::get_int(key, k)
            .and_then(cbor::as_int)
            .and_then(|i| i64::try_from(i).ok())
    };
    let bytes = |k: i64| cbor::get_int(key, k).and_then(cbor::as_bytes);
    match (int(1), int(3)) {
        (Some(2), Some(COSE_ES256) | None) => {
            if int(-1) != Some(1) {
                return Err(malformed(
                    "The credential public key is EC2 but not on P-256 (crv 1).",
                ));
            }
            match (bytes(-2), bytes(-3)) {
                (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                    let mut point = vec![0x04];
                    point.extend_from_slice(x);
                    point.extend_from_slice(y);
                    Ok(CredentialKey::Es256(point))
                }
                _ => Err(malformed(
                    "The credential public key needs 32-byte x and y coordinates.",
                )),
            }
        }
        (Some(3), Some(COSE_RS256) | None) => match (bytes(-1), bytes(-2)) {
            (Some(n), Some(e)) if !n.is_empty() && !e.is_empty() => Ok(CredentialKey::Rs256 {
                n: n.to_vec(),
                e: e.to_vec(),
            }),
            _ => Err(malformed("The RSA credential public key needs n and e.")),
        },
        (kty, alg) => Err(malformed(format!(
            "Unsupported credential public key (kty {}, alg {}); use ES256 (-7) or RS256 (-257).",
            kty.map_or_else(|| "missing".to_owned(), |k| k.to_string()),
            alg.map_or_else(|| "missing".to_owned(), |a| a.to_string())
        ))),
    }
}

/// Checks a sign-up credential (`webauthn.create`, `none` attestation) and returns the new
/// credential.
pub(crate) fn verify_registration(
    credential: &Value,
    expected: &Expected<'_>,
) -> Result<NewCredential, OAuthError> {
    let envelope = envelope(credential, expected)?;
    let attestation = binary(
        envelope.response,
        "authn_response.response",
        "attestationObject",
    )?;
    let attestation = cbor::decode_all(&attestation)
        .map_err(|e| malformed(format!("attestationObject is not valid CBOR: {e}.")))?;
    match cbor::get_text(&attestation, "fmt").and_then(Cbor::as_text) {
        Some("none") => {}
        Some(other) => {
            return Err(malformed(format!(
                "Attestation format {other} is not supported; only none is."
            )));
        }
        None => return Err(malformed("attestationObject.fmt is missing.")),
    }
    let auth_data = cbor::get_text(&attestation, "authData")
        .and_then(cbor::as_bytes)
        .ok_or_else(|| malformed("attestationObject.authData is missing."))?;
    let parsed = parse_auth_data(auth_data, expected)?;
    let (id, key) = parsed.attested.ok_or_else(|| {
        malformed("The authenticator data has no attested credential data (AT flag not set).")
    })?;
    if id != envelope.raw_id {
        return Err(refused(
            "The credential id in the authenticator data does not match authn_response.rawId.",
        ));
    }
    Ok(NewCredential {
        id: b64(&id),
        key: cose_key(&key)?,
        sign_count: parsed.sign_count,
    })
}

/// Checks a login assertion's client and authenticator data (`webauthn.get`) and returns what
/// the signature check needs.
pub(crate) fn parse_assertion(
    credential: &Value,
    expected: &Expected<'_>,
) -> Result<ParsedAssertion, OAuthError> {
    let envelope = envelope(credential, expected)?;
    let path = "authn_response.response";
    let auth_data = binary(envelope.response, path, "authenticatorData")?;
    let signature = binary(envelope.response, path, "signature")?;
    let user_handle = match envelope.response.get("userHandle") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(_) => Some(binary(envelope.response, path, "userHandle")?),
    };
    let parsed = parse_auth_data(&auth_data, expected)?;
    let mut signed = auth_data;
    signed.extend_from_slice(&Sha256::digest(&envelope.client_data));
    Ok(ParsedAssertion {
        credential_id: b64(&envelope.raw_id),
        user_handle,
        sign_count: parsed.sign_count,
        signed,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RP: &str = "localhost";
    const ORIGIN: &str = "http://localhost:3000";

    fn expected(ceremony: Ceremony, challenge: &str) -> Expected<'_> {
        Expected {
            ceremony,
            challenge,
            origin: ORIGIN,
            rp_id: RP,
        }
    }

    fn creation(challenge: &str) -> Value {
        json!({"challenge": challenge, "rp": {"id": RP, "name": "x"},
               "user": {"id": "dXNlcg", "name": "a@b.c", "displayName": "A"}})
    }

    #[test]
    fn registration_and_assertion_verify() {
        let mut auth = SoftwareAuthenticator::new(RP, ORIGIN);
        let cred = auth.create(&creation("Y2hhbA"));
        let new = verify_registration(&cred, &expected(Ceremony::Create, "Y2hhbA")).unwrap();
        assert_eq!(new.id, cred["id"].as_str().unwrap());
        assert_eq!(new.sign_count, 0);

        let assertion = auth
            .get(&json!({"challenge": "bG9naW4", "rpId": RP}))
            .unwrap();
        let parsed = parse_assertion(&assertion, &expected(Ceremony::Get, "bG9naW4")).unwrap();
        assert_eq!(parsed.credential_id, new.id);
        assert_eq!(parsed.user_handle.as_deref(), Some(&b"user"[..]));
        assert_eq!(parsed.sign_count, 1);
        assert!(new.key.verify(&parsed.signed, &parsed.signature));
        let mut tampered = parsed.signed.clone();
        tampered[40] ^= 1;
        assert!(!new.key.verify(&tampered, &parsed.signature));
    }

    #[test]
    fn refusals_are_precise() {
        let mut auth = SoftwareAuthenticator::new(RP, ORIGIN);
        let cred = auth.create(&creation("Y2hhbA"));
        let e = verify_registration(&cred, &expected(Ceremony::Create, "b3RoZXI")).unwrap_err();
        assert!(e.description.contains("challenge"), "{}", e.description);
        let e = verify_registration(&cred, &expected(Ceremony::Get, "Y2hhbA")).unwrap_err();
        assert!(e.description.contains("webauthn.get"), "{}", e.description);

        let other = auth.create_with_origin(&creation("Y2hhbA"), "https://evil.example");
        let e = verify_registration(&other, &expected(Ceremony::Create, "Y2hhbA")).unwrap_err();
        assert!(e.description.contains("origin"), "{}", e.description);

        let mut wrong_rp = SoftwareAuthenticator::new("example.com", ORIGIN);
        let cred = wrong_rp.create(&creation("Y2hhbA"));
        let e = verify_registration(&cred, &expected(Ceremony::Create, "Y2hhbA")).unwrap_err();
        assert!(e.description.contains("rpIdHash"), "{}", e.description);

        let e =
            verify_registration(&json!("x"), &expected(Ceremony::Create, "Y2hhbA")).unwrap_err();
        assert_eq!(e.error, "invalid_request");
        assert!(
            auth.get(&json!({"challenge": "x", "rpId": "other.example"}))
                .is_none()
        );
    }

    #[test]
    fn cose_keys() {
        let rsa = Cbor::Map(vec![
            (cbor::int(1), cbor::int(3)),
            (cbor::int(3), cbor::int(COSE_RS256)),
            (cbor::int(-1), Cbor::Bytes(vec![1; 256])),
            (cbor::int(-2), Cbor::Bytes(vec![1, 0, 1])),
        ]);
        assert!(matches!(cose_key(&rsa), Ok(CredentialKey::Rs256 { .. })));
        let okp = Cbor::Map(vec![
            (cbor::int(1), cbor::int(1)),
            (cbor::int(3), cbor::int(-8)),
        ]);
        assert!(cose_key(&okp).unwrap_err().description.contains("kty 1"));
    }
}
