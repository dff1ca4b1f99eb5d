//! JSON Web Tokens: the algorithms we accept, signing with a key parsed once, and signature
//! verification with an allow-list. Claim rules live with the token they apply to
//! (`id_token.rs`, `logout.rs`).

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A JWS signing algorithm.
///
/// Used for private-key-JWT client assertions
/// ([`AuthClientBuilder::client_assertion_signing_alg`](crate::AuthClientBuilder::client_assertion_signing_alg))
/// and for the ID-token algorithm allow-list
/// ([`AuthClientBuilder::id_token_signing_algs`](crate::AuthClientBuilder::id_token_signing_algs)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// HMAC with SHA-256, keyed with the client secret (ID tokens only).
    HS256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the default everywhere).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
}

impl SigningAlgorithm {
    /// The JOSE name (`"RS256"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
        }
    }

    /// Reads a JOSE name; `None` for anything unsupported (including `none`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "HS256" => Self::HS256,
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            _ => return None,
        })
    }

    pub(crate) fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            Self::HS256 => A::HS256,
            Self::RS256 => A::RS256,
            Self::RS384 => A::RS384,
            Self::RS512 => A::RS512,
            Self::PS256 => A::PS256,
            Self::PS384 => A::PS384,
            Self::PS512 => A::PS512,
            Self::ES256 => A::ES256,
            Self::ES384 => A::ES384,
        }
    }

    /// The aws-lc parameters that verify this algorithm with an RSA key (the same ones
    /// `jsonwebtoken` uses: 2048- to 8192-bit keys).
    pub(crate) fn rsa_verification(self) -> Option<&'static sig::RsaParameters> {
        Some(match self {
            Self::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            Self::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
            Self::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
            Self::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }

    /// The aws-lc algorithm that verifies this algorithm with an EC key (fixed-length `r||s`
    /// signatures, as JWS has them).
    pub(crate) fn ecdsa_verification(self) -> Option<&'static sig::EcdsaVerificationAlgorithm> {
        match self {
            Self::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED),
            Self::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED),
            _ => None,
        }
    }

    /// A small dense index, for per-algorithm tables.
    pub(crate) fn index(self) -> usize {
        match self {
            Self::HS256 => 0,
            Self::RS256 => 1,
            Self::RS384 => 2,
            Self::RS512 => 3,
            Self::PS256 => 4,
            Self::PS384 => 5,
            Self::PS512 => 6,
            Self::ES256 => 7,
            Self::ES384 => 8,
        }
    }

    /// How many algorithms [`index`](Self::index) numbers.
    pub(crate) const COUNT: usize = 9;

    /// The JWK `kty` of keys for this algorithm.
    pub(crate) fn key_type(self) -> &'static str {
        match self {
            Self::HS256 => "oct",
            Self::ES256 | Self::ES384 => "EC",
            _ => "RSA",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Fresh random bytes from the operating system, base64url encoded.
pub(crate) fn random_b64url(len: usize) -> String {
    let mut buf = vec![0u8; len];
    // The system RNG failing leaves no safe way on; aws-lc aborts in that case itself.
    let _ = aws_lc_rs::rand::fill(&mut buf);
    b64url(&buf)
}

/// A private key parsed once and used for every signature.
pub(crate) struct JwtSigner {
    alg: SigningAlgorithm,
    key: SignerKey,
    /// The encoded protected header, computed once.
    header: String,
}

enum SignerKey {
    Rsa(RsaKeyPair, &'static dyn sig::RsaEncoding),
    Ec(EcdsaKeyPair),
}

impl fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSigner")
            .field("alg", &self.alg)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl JwtSigner {
    /// Parses a PKCS#8 PEM private key for `alg`. Errors say what is wrong with the key, never
    /// what it contains.
    pub(crate) fn from_pem(
        pem_text: &str,
        alg: SigningAlgorithm,
        kid: Option<&str>,
    ) -> Result<Self, String> {
        let parsed = pem::parse(pem_text.trim())
            .map_err(|_| "the signing key is not a PEM document".to_string())?;
        match parsed.tag() {
            "PRIVATE KEY" => {}
            "EC PRIVATE KEY" => {
                return Err(
                    "the signing key is a SEC1 EC key (BEGIN EC PRIVATE KEY); convert it \
                     to PKCS#8 (BEGIN PRIVATE KEY), e.g. `openssl pkcs8 -topk8 -nocrypt`"
                        .into(),
                );
            }
            "RSA PRIVATE KEY" => {
                return Err(
                    "the signing key is a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY); \
                     convert it to PKCS#8 (BEGIN PRIVATE KEY), e.g. `openssl pkcs8 -topk8 -nocrypt`"
                        .into(),
                );
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err("the signing key is encrypted; decrypt it to PKCS#8 first".into());
            }
            other => {
                return Err(format!(
                    "the signing key PEM is a {other:?}, not a PKCS#8 private key"
                ));
            }
        }
        let der = parsed.contents();
        let key = match alg {
            SigningAlgorithm::HS256 => {
                return Err("HS256 is not a private-key algorithm".into());
            }
            SigningAlgorithm::ES256 | SigningAlgorithm::ES384 => {
                let curve = if alg == SigningAlgorithm::ES256 {
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &sig::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = EcdsaKeyPair::from_pkcs8(curve, der).map_err(|_| {
                    format!("the signing key is not an EC key on the curve {alg} needs")
                })?;
                SignerKey::Ec(pair)
            }
            _ => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| {
                    format!("the signing key is not an RSA private key usable for {alg}")
                })?;
                let encoding: &'static dyn sig::RsaEncoding = match alg {
                    SigningAlgorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    SigningAlgorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    SigningAlgorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    SigningAlgorithm::PS256 => &sig::RSA_PSS_SHA256,
                    SigningAlgorithm::PS384 => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                SignerKey::Rsa(pair, encoding)
            }
        };
        let mut header = serde_json::json!({"alg": alg.as_str(), "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = Value::String(kid.to_string());
        }
        let signer = Self {
            alg,
            key,
            header: b64url(header.to_string().as_bytes()),
        };
        // Prove the key signs now rather than on the first request.
        signer.sign(&Map::new())?;
        Ok(signer)
    }

    /// Replaces the protected header (for DPoP proofs: `typ` and `jwk`).
    pub(crate) fn set_header(&mut self, header: &Value) {
        self.header = b64url(header.to_string().as_bytes());
    }

    /// The algorithm this signer uses.
    pub(crate) fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    /// Signs `claims` into a compact JWS whose header says `typ` (the configured header
    /// otherwise: `alg`, any `kid`), for request objects (`oauth-authz-req+jwt`).
    pub(crate) fn sign_typed(
        &self,
        typ: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, String> {
        let mut header: Map<String, Value> = URL_SAFE_NO_PAD
            .decode(&self.header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| "the signer's header cannot be read".to_string())?;
        header.insert("typ".into(), Value::String(typ.to_string()));
        self.sign_with_header(
            &b64url(Value::Object(header).to_string().as_bytes()),
            claims,
        )
    }

    /// Signs `claims` into a compact JWS.
    pub(crate) fn sign(&self, claims: &Map<String, Value>) -> Result<String, String> {
        self.sign_with_header(&self.header, claims)
    }

    fn sign_with_header(
        &self,
        header: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, String> {
        let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        let mut out = String::with_capacity(header.len() + payload.len() * 2 + 400);
        out.push_str(header);
        out.push('.');
        out.push_str(&b64url(&payload));
        let signature = match &self.key {
            SignerKey::Rsa(pair, encoding) => {
                let mut s = vec![0u8; pair.public_modulus_len()];
                pair.sign(*encoding, &SystemRandom::new(), out.as_bytes(), &mut s)
                    .map_err(|_| "signing failed".to_string())?;
                s
            }
            SignerKey::Ec(pair) => pair
                .sign(&SystemRandom::new(), out.as_bytes())
                .map_err(|_| "signing failed".to_string())?
                .as_ref()
                .to_vec(),
        };
        out.push('.');
        out.push_str(&b64url(&signature));
        Ok(out)
    }

    /// The public key bytes (an uncompressed point for EC keys).
    pub(crate) fn public_key_bytes(&self) -> Vec<u8> {
        match &self.key {
            SignerKey::Rsa(pair, _) => pair.public_key().as_ref().to_vec(),
            SignerKey::Ec(pair) => pair.public_key().as_ref().to_vec(),
        }
    }
}

/// Signs `claims` as an HS256 JWT keyed with `secret` (`client_secret_jwt`).
pub(crate) fn sign_hs256(secret: &[u8], claims: &Map<String, Value>) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let mut out = format!("{header}.{}", b64url(&payload));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, out.as_bytes());
    out.push('.');
    out.push_str(&b64url(tag.as_ref()));
    out
}

/// The protected header of a token, read before any key is chosen.
#[derive(Debug, Deserialize)]
pub(crate) struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<Value>,
    /// Extensions the issuer says a verifier must understand (RFC 7515 section 4.1.11). This
    /// crate implements none, so any token that names one is refused.
    #[serde(default, deserialize_with = "present")]
    pub crit: Option<Value>,
}

/// `Some` for a member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl Header {
    /// The `typ` header without its optional `application/` prefix, lower-cased (media types
    /// are case-insensitive, RFC 7515 section 4.1.9).
    pub(crate) fn media_type(&self) -> Option<String> {
        let typ = self.typ.as_ref()?.as_str()?;
        let lower = typ.to_ascii_lowercase();
        Some(match lower.strip_prefix("application/") {
            Some(rest) => rest.to_string(),
            None => lower,
        })
    }
}

/// Which way a fractional NumericDate is rounded: towards the stricter outcome for the rule
/// that reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Round {
    /// For instants a token fails by being later than now (`iat`, `nbf`): rounding up moves
    /// them later.
    Up,
    /// For instants a token fails by being earlier than now (`exp`, `auth_time` under
    /// `max_age`): rounding down moves them earlier.
    Down,
}

/// Reads a NumericDate claim (RFC 7519 section 2): seconds since the epoch as a JSON number,
/// integer or not. `Ok(None)` when the claim is absent; an error for anything else that is not
/// a non-negative number in the `u64` range, so no odd encoding makes a rule skip the claim.
/// A fraction is rounded in the direction `round` says.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
    round: Round,
) -> Result<Option<u64>, String> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(n) = value else {
        return Err(format!("the \"{name}\" claim is not a number"));
    };
    if let Some(u) = n.as_u64() {
        return Ok(Some(u));
    }
    if n.is_i64() {
        return Err(format!("the \"{name}\" claim is a negative number"));
    }
    // A float (serde_json never yields NaN or infinities from JSON text, but check anyway).
    let f = n
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| format!("the \"{name}\" claim is not a finite number"))?;
    if f < 0.0 {
        return Err(format!("the \"{name}\" claim is a negative number"));
    }
    let rounded = match round {
        Round::Up => f.ceil(),
        Round::Down => f.floor(),
    };
    // 2^64 is exactly representable; anything at or above it does not fit.
    if rounded >= 18_446_744_073_709_551_616.0 {
        return Err(format!(
            "the \"{name}\" claim is out of range for a NumericDate"
        ));
    }
    Ok(Some(rounded as u64))
}

/// A compact JWS split into its parts, with header and claims decoded but not yet trusted.
pub(crate) struct UnverifiedJwt<'a> {
    pub header: Header,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: &'a str,
}

impl<'a> UnverifiedJwt<'a> {
    /// Splits and decodes a token. Errors name the malformed part.
    pub(crate) fn parse(token: &'a str) -> Result<Self, String> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the token is not a compact JWS (three dot-separated parts)".into());
        };
        let header_bytes = URL_SAFE_NO_PAD
            .decode(h)
            .map_err(|_| "the token header is not base64url".to_string())?;
        // An object, not any JSON serde could read as the struct (an array would do).
        let is_object = header_bytes.trim_ascii_start().first() == Some(&b'{');
        let header: Header = serde_json::from_slice(&header_bytes)
            .ok()
            .filter(|_| is_object)
            .ok_or_else(|| "the token header is not a JSON object with an \"alg\"".to_string())?;
        if header.crit.is_some() {
            return Err(
                "the token header has a \"crit\" member, naming extensions this verifier does \
                 not implement"
                    .into(),
            );
        }
        let claims_bytes = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| "the token payload is not base64url".to_string())?;
        let claims: Map<String, Value> = serde_json::from_slice(&claims_bytes)
            .map_err(|_| "the token payload is not a JSON object".to_string())?;
        Ok(Self {
            header,
            claims,
            signing_input: &token[..h.len() + 1 + p.len()],
            signature: s,
        })
    }

    /// Checks the header's `alg` against the allow-list.
    pub(crate) fn algorithm(
        &self,
        allowed: &[SigningAlgorithm],
    ) -> Result<SigningAlgorithm, String> {
        match SigningAlgorithm::from_name(&self.header.alg) {
            Some(a) if allowed.contains(&a) => Ok(a),
            _ => Err(format!(
                "the token is signed with {:?}, which is not an allowed algorithm (allowed: {})",
                self.header.alg,
                allowed
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Verifies the signature with `key` under `alg`.
    pub(crate) fn verify_signature<K: SignatureKey + ?Sized>(
        &self,
        key: &K,
        alg: SigningAlgorithm,
    ) -> Result<(), String> {
        if key.verifies(self.signing_input.as_bytes(), self.signature, alg) {
            Ok(())
        } else {
            Err("the token signature is invalid".into())
        }
    }
}

/// A key a token's signature can be checked with: a `jsonwebtoken` key (HS256 with the client
/// secret), or a key-set key holding aws-lc keys parsed once (see `jwks.rs`).
pub(crate) trait SignatureKey {
    /// Whether `signature` (base64url, as it stands in the token) signs `signing_input` under
    /// `alg`.
    fn verifies(&self, signing_input: &[u8], signature: &str, alg: SigningAlgorithm) -> bool;
}

impl SignatureKey for jsonwebtoken::DecodingKey {
    fn verifies(&self, signing_input: &[u8], signature: &str, alg: SigningAlgorithm) -> bool {
        matches!(
            jsonwebtoken::crypto::verify(signature, signing_input, self, alg.jsonwebtoken()),
            Ok(true)
        )
    }
}

impl<T: SignatureKey + ?Sized> SignatureKey for &T {
    fn verifies(&self, signing_input: &[u8], signature: &str, alg: SigningAlgorithm) -> bool {
        (**self).verifies(signing_input, signature, alg)
    }
}

/// Checks a base64url `signature` of `signing_input` with a key parsed beforehand. The
/// signature is decoded on the stack (RSA-8192 signatures are 1,024 bytes).
pub(crate) fn verify_parsed(
    key: &sig::ParsedPublicKey,
    signing_input: &[u8],
    signature: &str,
) -> bool {
    let mut buf = [0u8; 1040];
    match URL_SAFE_NO_PAD.decode_slice(signature, &mut buf) {
        Ok(len) => key.verify_sig(signing_input, &buf[..len]).is_ok(),
        Err(_) => false,
    }
}

/// Makes sure jsonwebtoken has a crypto provider even when some other crate in the build also
/// enabled its pure-Rust backend (it would otherwise panic on first use).
pub(crate) fn ensure_crypto_provider() {
    if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip_and_none_is_refused() {
        for a in [
            SigningAlgorithm::HS256,
            SigningAlgorithm::RS256,
            SigningAlgorithm::PS512,
            SigningAlgorithm::ES384,
        ] {
            assert_eq!(SigningAlgorithm::from_name(a.as_str()), Some(a));
        }
        assert_eq!(SigningAlgorithm::from_name("none"), None);
        assert_eq!(SigningAlgorithm::from_name("ES512"), None);
    }

    #[test]
    fn malformed_tokens_are_described() {
        assert!(UnverifiedJwt::parse("abc").err().unwrap().contains("three"));
        assert!(UnverifiedJwt::parse("a.b.c.d").is_err());
        assert!(
            UnverifiedJwt::parse("!!!.e30.x")
                .err()
                .unwrap()
                .contains("header")
        );
        let h = b64url(br#"{"alg":"RS256"}"#);
        assert!(
            UnverifiedJwt::parse(&format!("{h}.!!!.x"))
                .err()
                .unwrap()
                .contains("payload")
        );
        let t = format!("{h}.{}.sig", b64url(br#"{"sub":"x"}"#));
        let jwt = UnverifiedJwt::parse(&t).unwrap();
        assert_eq!(jwt.claims["sub"], "x");
        assert!(jwt.algorithm(&[SigningAlgorithm::ES256]).is_err());
        assert_eq!(
            jwt.algorithm(&[SigningAlgorithm::RS256]).unwrap(),
            SigningAlgorithm::RS256
        );
        // Headers that are not one plain object: an array in the struct's shape, and an
        // object naming `alg` twice (which of the two would count?).
        let payload = b64url(br#"{"sub":"x"}"#);
        for header in [
            &br#"["RS256"]"#[..],
            br#" ["RS256", "k"]"#,
            br#"{"alg":"none","alg":"RS256"}"#,
        ] {
            let t = format!("{}.{payload}.sig", b64url(header));
            let e = UnverifiedJwt::parse(&t).err().unwrap();
            assert!(e.contains("JSON object"), "{e}");
        }
        let spaced = format!("{}.{payload}.sig", b64url(br#" { "alg" : "RS256" } "#));
        assert!(UnverifiedJwt::parse(&spaced).is_ok());
    }

    #[test]
    fn a_crit_header_is_refused_whatever_it_names() {
        let payload = b64url(br#"{"sub":"x"}"#);
        for header in [
            &br#"{"alg":"RS256","crit":["exp"],"exp":1}"#[..],
            br#"{"alg":"RS256","crit":[]}"#,
            br#"{"alg":"RS256","crit":null}"#,
            br#"{"alg":"RS256","crit":["b64"],"b64":false}"#,
            br#"{"alg":"RS256","crit":"b64"}"#,
        ] {
            let t = format!("{}.{payload}.sig", b64url(header));
            let e = UnverifiedJwt::parse(&t).err().unwrap_or_default();
            assert!(e.contains("crit"), "{e}");
        }
        let plain = format!("{}.{payload}.sig", b64url(br#"{"alg":"RS256"}"#));
        assert!(UnverifiedJwt::parse(&plain).unwrap().header.crit.is_none());
    }

    #[test]
    fn typ_is_read_as_a_media_type() {
        let header = |typ: &str| Header {
            alg: "RS256".into(),
            kid: None,
            typ: Some(Value::String(typ.into())),
            crit: None,
        };
        assert_eq!(
            header("logout+jwt").media_type().as_deref(),
            Some("logout+jwt")
        );
        assert_eq!(
            header("Application/Logout+JWT").media_type().as_deref(),
            Some("logout+jwt")
        );
        assert_eq!(header("JWT").media_type().as_deref(), Some("jwt"));
    }

    #[test]
    fn numeric_dates_are_read_whatever_their_json_form() {
        let claims = |v: Value| {
            let mut m = Map::new();
            m.insert("exp".into(), v);
            m
        };
        let read = |v: Value, r: Round| numeric_date(&claims(v), "exp", r);
        assert_eq!(
            read(serde_json::json!(1_500_000_000), Round::Down),
            Ok(Some(1_500_000_000))
        );
        // 1.5e9 is a float in JSON and must not be skipped.
        let float: Value = serde_json::from_str("1.5e9").unwrap();
        assert!(float.as_u64().is_none());
        assert_eq!(read(float, Round::Down), Ok(Some(1_500_000_000)));
        let frac: Value = serde_json::from_str("1700000000.5").unwrap();
        assert_eq!(read(frac.clone(), Round::Down), Ok(Some(1_700_000_000)));
        assert_eq!(read(frac, Round::Up), Ok(Some(1_700_000_001)));
        assert_eq!(
            read(serde_json::json!(u64::MAX), Round::Down),
            Ok(Some(u64::MAX))
        );
        for bad in [
            "-1",
            "-0.5",
            "1e20",
            "18446744073709551616",
            "\"1700000000\"",
            "true",
            "null",
            "[1]",
        ] {
            let v: Value = serde_json::from_str(bad).unwrap();
            assert!(read(v, Round::Up).is_err(), "{bad} was accepted");
        }
        // Out of JSON's reach: serde_json refuses 1e400 itself.
        assert!(serde_json::from_str::<Value>("1e400").is_err());
        assert_eq!(numeric_date(&Map::new(), "exp", Round::Down), Ok(None));
    }

    #[test]
    fn sec1_and_pkcs1_keys_get_a_conversion_hint() {
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        let e = JwtSigner::from_pem(sec1, SigningAlgorithm::ES256, None).unwrap_err();
        assert!(e.contains("PKCS#8"), "{e}");
        let pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        let e = JwtSigner::from_pem(pkcs1, SigningAlgorithm::RS256, None).unwrap_err();
        assert!(e.contains("PKCS#8"), "{e}");
        let e = JwtSigner::from_pem("not a key", SigningAlgorithm::RS256, None).unwrap_err();
        assert!(e.contains("PEM"), "{e}");
    }
}
