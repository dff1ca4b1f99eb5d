//! Keys: the tenant's signing keys (generation, rotation, JWKS, JWT signing) and helpers
//! that make client keys for `private_key_jwt` tests.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A key pair in PEM form, as a client would hold it.
#[derive(Clone)]
pub struct GeneratedKey {
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub private_key_pem: String,
    /// The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key_pem: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("private_key_pem", &"[redacted]")
            .field("public_key_pem", &self.public_key_pem)
            .finish()
    }
}

/// A fresh 2048-bit RSA key pair (for `RS256`/`RS384`/`RS512`/`PS256` client assertions).
///
/// # Panics
/// If the system's crypto library cannot generate a key (it always can).
// Key generation fails only if the system RNG does; a test cannot go on without a key.
#[allow(clippy::expect_used)]
pub fn generate_rsa() -> GeneratedKey {
    try_generate_rsa()
        .map(|(_, k)| k)
        .expect("aws-lc failed to generate an RSA key")
}

/// A fresh P-256 key pair (for `ES256` client assertions).
///
/// # Panics
/// If the system's crypto library cannot generate a key (it always can).
// Key generation fails only if the system RNG does; a test cannot go on without a key.
#[allow(clippy::expect_used)]
pub fn generate_ec_p256() -> GeneratedKey {
    try_generate_ec(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
        .expect("aws-lc failed to generate a P-256 key")
}

/// A fresh P-384 key pair (for `ES384` client assertions).
///
/// # Panics
/// If the system's crypto library cannot generate a key (it always can).
// Key generation fails only if the system RNG does; a test cannot go on without a key.
#[allow(clippy::expect_used)]
pub fn generate_ec_p384() -> GeneratedKey {
    try_generate_ec(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)
        .expect("aws-lc failed to generate a P-384 key")
}

fn try_generate_rsa() -> Result<(RsaKeyPair, GeneratedKey), Unspecified> {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048)?;
    let private = pair.as_der()?;
    let public = pair.public_key().as_der()?;
    let key = GeneratedKey {
        private_key_pem: pem("PRIVATE KEY", private.as_ref()),
        public_key_pem: pem("PUBLIC KEY", public.as_ref()),
    };
    Ok((pair, key))
}

fn try_generate_ec(alg: &'static EcdsaSigningAlgorithm) -> Result<GeneratedKey, Unspecified> {
    let pair = EcdsaKeyPair::generate(alg)?;
    let private = pair.to_pkcs8v1()?;
    let public = pair.public_key().as_der()?;
    Ok(GeneratedKey {
        private_key_pem: pem("PRIVATE KEY", private.as_ref()),
        public_key_pem: pem("PUBLIC KEY", public.as_ref()),
    })
}

/// PEM-encodes `der` with the given label, 64 characters a line.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// base64url without padding, as JOSE wants it.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The algorithm a tenant signs its access and ID tokens with.
///
/// Auth0 signs with `RS256`; `ES256` is what many other OpenID Providers use, and costs the
/// emulator about a fortieth of an RSA signature, so benchmarks of a client are not dominated by
/// the server's signing. Either way the JWKS also publishes the tenant's RSA key, which keeps
/// signing back-channel logout tokens (RS256, as Auth0 does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenSigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key (Auth0's default).
    #[default]
    RS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
}

impl TokenSigningAlg {
    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
        }
    }
}

/// The private half of a signing key.
enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// One signing key of the tenant (RSA 2048 or P-256).
pub(crate) struct SigningKey {
    kid: String,
    pair: Pair,
    public_key_pem: String,
    jwk: Value,
}

impl SigningKey {
    /// Generates a 2048-bit RSA key; its `kid` is the RFC 7638 SHA-256 thumbprint.
    pub(crate) fn generate() -> Result<Self, Unspecified> {
        let (pair, pems) = try_generate_rsa()?;
        let public = pair.public_key();
        let n = b64url(public.modulus().big_endian_without_leading_zero());
        let e = b64url(public.exponent().big_endian_without_leading_zero());
        let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        Ok(Self {
            kid,
            pair: Pair::Rsa(pair),
            public_key_pem: pems.public_key_pem,
            jwk,
        })
    }

    /// Generates a P-256 key for ES256; its `kid` is the RFC 7638 SHA-256 thumbprint.
    pub(crate) fn generate_ec() -> Result<Self, Unspecified> {
        let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)?;
        // An uncompressed point: 0x04, then x and y (32 bytes each).
        let point = pair.public_key().as_ref();
        let (x, y) = match point {
            [0x04, rest @ ..] if rest.len() == 64 => (b64url(&rest[..32]), b64url(&rest[32..])),
            _ => return Err(Unspecified),
        };
        let kid = thumbprint(&format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
        ));
        let jwk = json!({
            "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid, "x": x, "y": y
        });
        let public_key_pem = pem("PUBLIC KEY", pair.public_key().as_der()?.as_ref());
        Ok(Self {
            kid,
            pair: Pair::Ec(pair),
            public_key_pem,
            jwk,
        })
    }

    /// The key id.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs tokens with.
    pub(crate) fn alg(&self) -> &'static str {
        match self.pair {
            Pair::Rsa(_) => "RS256",
            Pair::Ec(_) => "ES256",
        }
    }

    /// The public key as SPKI PEM.
    pub(crate) fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// The public key as a JWK.
    pub(crate) fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// Signs `claims` as a compact JWT with header `{"alg", "typ":"JWT", "kid"}`.
    ///
    /// For an RSA key, `RS256/384/512` and `PS256/384/512` are real signatures of that
    /// algorithm; for a P-256 key every `alg` is signed ES256. `none` gives an empty signature;
    /// any other `alg` is written in the header but signed with the key's own algorithm (useful
    /// for tokens whose header lies about the algorithm).
    pub(crate) fn sign(&self, alg: &str, kid: &str, claims: &Value) -> Result<String, Unspecified> {
        self.sign_with_header(&json!({"alg": alg, "typ": "JWT", "kid": kid}), claims)
    }

    /// [`sign`](Self::sign) with a header of the caller's choosing (its `alg` picks the
    /// signature as there; see `forge.rs`).
    pub(crate) fn sign_with_header(
        &self,
        header: &Value,
        claims: &Value,
    ) -> Result<String, Unspecified> {
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("RS256");
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        if alg == "none" {
            return Ok(format!("{signing_input}."));
        }
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let encoding: &'static dyn signature::RsaEncoding = match alg {
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(
                    encoding,
                    &SystemRandom::new(),
                    signing_input.as_bytes(),
                    &mut sig,
                )?;
                sig
            }
            Pair::Ec(pair) => pair
                .sign(&SystemRandom::new(), signing_input.as_bytes())?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }
}

/// The RFC 7638 SHA-256 thumbprint of a JWK's canonical members.
fn thumbprint(canonical: &str) -> String {
    b64url(&Sha256::digest(canonical.as_bytes()))
}

/// The tenant's keys: the current RSA key, the current P-256 key when tokens are signed ES256,
/// and the retired-but-published ones.
pub(crate) struct KeyRing {
    current: std::sync::Arc<SigningKey>,
    ec: Option<std::sync::Arc<SigningKey>>,
    previous: Vec<std::sync::Arc<SigningKey>>,
}

impl KeyRing {
    /// A ring with one fresh RSA key, plus a P-256 key when tokens are signed `ES256`.
    pub(crate) fn generate(alg: TokenSigningAlg) -> Result<Self, Unspecified> {
        let ec = match alg {
            TokenSigningAlg::RS256 => None,
            TokenSigningAlg::ES256 => Some(std::sync::Arc::new(SigningKey::generate_ec()?)),
        };
        Ok(Self {
            current: std::sync::Arc::new(SigningKey::generate()?),
            ec,
            previous: Vec::new(),
        })
    }

    /// The current RSA key (it signs logout tokens, and every token of an RS256 tenant).
    pub(crate) fn current(&self) -> std::sync::Arc<SigningKey> {
        self.current.clone()
    }

    /// The key that signs access and ID tokens.
    pub(crate) fn token_signer(&self) -> std::sync::Arc<SigningKey> {
        self.ec.as_ref().unwrap_or(&self.current).clone()
    }

    /// Makes `key` the RSA signer (and a fresh P-256 key the ES256 one, if there is one); the old
    /// keys stay published.
    pub(crate) fn rotate_to(&mut self, key: SigningKey) {
        if let Some(ec) = &mut self.ec
            && let Ok(fresh) = SigningKey::generate_ec()
        {
            let old = std::mem::replace(ec, std::sync::Arc::new(fresh));
            self.previous.insert(0, old);
        }
        let old = std::mem::replace(&mut self.current, std::sync::Arc::new(key));
        self.previous.insert(0, old);
    }

    /// Stops publishing every key but the current ones.
    pub(crate) fn retire_old(&mut self) {
        self.previous.clear();
    }

    /// The JWKS document: the token signer first.
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .ec
            .iter()
            .chain(std::iter::once(&self.current))
            .chain(&self.previous)
            .map(|k| k.jwk())
            .collect();
        json!({ "keys": keys })
    }
}

/// The family of a client's registered public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Rsa,
    Ec,
    /// A client secret (`client_secret_jwt`).
    Hmac,
}

/// A `private_key_jwt` client's public key, parsed once at start.
#[derive(Debug, Clone)]
pub(crate) struct AssertionKey {
    pub(crate) key: DecodingKey,
    pub(crate) family: KeyFamily,
}

impl AssertionKey {
    /// The key of a `client_secret_jwt` assertion: the client secret itself (`None` for an
    /// empty secret, which cannot key an HMAC).
    pub(crate) fn secret(secret: &str) -> Option<Self> {
        Some(Self {
            key: DecodingKey::from_secret(secret.as_bytes()).ok()?,
            family: KeyFamily::Hmac,
        })
    }
}

/// Parses an SPKI PEM public key (RSA or EC).
pub(crate) fn parse_assertion_key(pem: &str) -> Result<AssertionKey, String> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
        return Ok(AssertionKey {
            key,
            family: KeyFamily::Rsa,
        });
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem.as_bytes()) {
        return Ok(AssertionKey {
            key,
            family: KeyFamily::Ec,
        });
    }
    Err("not an RSA or EC public key in SPKI PEM form (-----BEGIN PUBLIC KEY-----)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    fn validation(alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.validate_exp = false;
        v.required_spec_claims.clear();
        v
    }

    #[test]
    fn signatures_verify_with_the_published_key() {
        let key = SigningKey::generate().unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk()).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        for (name, alg) in [("RS256", Algorithm::RS256), ("PS256", Algorithm::PS256)] {
            let token = key.sign(name, key.kid(), &json!({"sub": "x"})).unwrap();
            let data = jsonwebtoken::decode::<Value>(&token, &decoding, &validation(alg)).unwrap();
            assert_eq!(data.claims["sub"], "x");
            assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
        }
        let pem_key = DecodingKey::from_rsa_pem(key.public_key_pem().as_bytes()).unwrap();
        let token = key.sign("RS256", "k", &json!({})).unwrap();
        jsonwebtoken::decode::<Value>(&token, &pem_key, &validation(Algorithm::RS256)).unwrap();
        assert!(key.sign("none", "k", &json!({})).unwrap().ends_with('.'));
    }

    #[test]
    fn generated_client_keys_are_pem() {
        for k in [generate_rsa(), generate_ec_p256(), generate_ec_p384()] {
            assert!(
                k.private_key_pem
                    .starts_with("-----BEGIN PRIVATE KEY-----\n")
            );
            assert!(k.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
            assert!(!format!("{k:?}").contains("BEGIN PRIVATE"));
        }
        let ec = generate_ec_p256();
        jsonwebtoken::EncodingKey::from_ec_pem(ec.private_key_pem.as_bytes()).unwrap();
        DecodingKey::from_ec_pem(ec.public_key_pem.as_bytes()).unwrap();
        let rsa = generate_rsa();
        jsonwebtoken::EncodingKey::from_rsa_pem(rsa.private_key_pem.as_bytes()).unwrap();
    }

    #[test]
    fn es256_tokens_verify_with_the_published_p256_key() {
        let ring = KeyRing::generate(TokenSigningAlg::ES256).unwrap();
        let signer = ring.token_signer();
        assert_eq!(signer.alg(), "ES256");
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(ring.jwks()).unwrap();
        assert_eq!(jwks.keys.len(), 2, "the P-256 key and the RSA key");
        let token = signer
            .sign("ES256", signer.kid(), &json!({"sub": "x"}))
            .unwrap();
        let jwk = jwks.find(signer.kid()).unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let data =
            jsonwebtoken::decode::<Value>(&token, &key, &validation(Algorithm::ES256)).unwrap();
        assert_eq!(data.claims["sub"], "x");
        // The SPKI PEM is the same key.
        let pem_key = DecodingKey::from_ec_pem(signer.public_key_pem().as_bytes()).unwrap();
        jsonwebtoken::decode::<Value>(&token, &pem_key, &validation(Algorithm::ES256)).unwrap();
        // The RSA key stays current for logout tokens.
        assert_eq!(ring.current().alg(), "RS256");
        assert!(jwks.find(ring.current().kid()).is_some());
    }

    #[test]
    fn rotation_keeps_old_keys_until_retired() {
        let mut ring = KeyRing::generate(TokenSigningAlg::RS256).unwrap();
        let first = ring.current().kid().to_owned();
        ring.rotate_to(SigningKey::generate().unwrap());
        let jwks = ring.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert_eq!(jwks["keys"][1]["kid"], first.as_str());
        ring.retire_old();
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 1);
    }
}
