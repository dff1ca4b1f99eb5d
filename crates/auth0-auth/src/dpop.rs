//! DPoP (RFC 9449): proof-of-possession for tokens. With a [`DpopKey`] on the client, every
//! token, PAR and user-info request carries a fresh `DPoP` proof, the tenant binds the tokens
//! to the key, and a server's demand for a nonce (`use_dpop_nonce`) is answered once.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{Request, Response};
use crate::jwt::{JwtSigner, SigningAlgorithm, b64url, random_b64url};

/// A DPoP key (ES256, P-256): give it to
/// [`AuthClientBuilder::dpop_key`](crate::AuthClientBuilder::dpop_key).
///
/// ```
/// use auth0_auth::{DpopKey, DpopProofRequest, reqwest::Method};
///
/// let key = DpopKey::generate().unwrap();
/// let proof = key
///     .proof(&DpopProofRequest::new(Method::GET, "https://api.example.com/orders")
///         .access_token("access-token".into()))
///     .unwrap();
/// assert_eq!(proof.split('.').count(), 3);
/// ```
pub struct DpopKey {
    signer: JwtSigner,
    jwk: Value,
    thumbprint: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &"ES256")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh P-256 key.
    pub fn generate() -> Result<Self> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::config("could not generate a DPoP key"))?;
        let der = pair
            .to_pkcs8v1()
            .map_err(|_| Error::config("could not encode the DPoP key"))?;
        let pem = SecretString::from(pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref())));
        Self::from_pkcs8_pem(pem.expose_secret())
    }

    /// A P-256 key from a PKCS#8 PEM (for a key that must survive restarts).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        let mut signer = JwtSigner::from_pem(pem, SigningAlgorithm::ES256, None)
            .map_err(|e| Error::config(format!("DPoP key: {e}")))?;
        let point = signer.public_key_bytes();
        if point.len() != 65 || point[0] != 4 {
            return Err(Error::config(
                "DPoP key: not an uncompressed P-256 public key",
            ));
        }
        let (x, y) = (b64url(&point[1..33]), b64url(&point[33..]));
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let thumbprint = b64url(&Sha256::digest(canonical.as_bytes()));
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
        signer.set_header(&json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}));
        Ok(Self {
            signer,
            jwk,
            thumbprint,
        })
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key (the `jkt` tokens are bound to).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// A fresh proof for one HTTP request: `htm` = the method, `htu` = the URL without query
    /// and fragment, `iat`, a unique `jti`, `ath` when an access token is presented, and the
    /// server's `nonce` when the request names one.
    pub fn proof(&self, request: &DpopProofRequest) -> Result<String> {
        self.sign_proof(
            request.method.as_str(),
            &request.url,
            request.access_token.as_ref().map(|t| t.expose_secret()),
            request.nonce.as_deref(),
        )
    }

    /// The proof itself, for the SDK's own requests.
    pub(crate) fn sign_proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let mut htu =
            Url::parse(url).map_err(|_| Error::config("the DPoP target is not an absolute URL"))?;
        htu.set_query(None);
        htu.set_fragment(None);
        let mut claims = Map::new();
        claims.insert("jti".into(), random_b64url(18).into());
        claims.insert("htm".into(), method.to_ascii_uppercase().into());
        claims.insert("htu".into(), htu.as_str().into());
        claims.insert("iat".into(), now_secs().into());
        if let Some(token) = access_token {
            claims.insert(
                "ath".into(),
                b64url(&Sha256::digest(token.as_bytes())).into(),
            );
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), nonce.into());
        }
        self.signer
            .sign(&claims)
            .map_err(|e| Error::config(format!("could not sign a DPoP proof: {e}")))
    }
}

/// The HTTP request a DPoP proof is for: what [`DpopKey::proof`] and
/// [`AuthClient::dpop_proof`] take.
///
/// ```
/// use auth0_auth::{DpopProofRequest, SecretString, reqwest::Method};
///
/// # fn demo(access_token: SecretString) {
/// let request = DpopProofRequest::new(Method::GET, "https://api.example.com/orders")
///     .access_token(access_token);
/// # }
/// ```
#[derive(Clone)]
pub struct DpopProofRequest {
    method: reqwest::Method,
    url: String,
    access_token: Option<SecretString>,
    nonce: Option<String>,
}

impl DpopProofRequest {
    /// A proof for `method` on the absolute `url` (its query and fragment are left out of `htu`).
    pub fn new(method: reqwest::Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            access_token: None,
            nonce: None,
        }
    }

    /// The DPoP-bound access token the request presents: the proof carries its hash (`ath`).
    pub fn access_token(mut self, token: SecretString) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The nonce the server asked for (`DPoP-Nonce`). Without it, [`AuthClient::dpop_proof`]
    /// uses the last nonce the URL's origin gave the client, if any.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

impl fmt::Debug for DpopProofRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopProofRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// The client's DPoP state: the key and the last nonce each server origin gave.
pub(crate) struct Dpop {
    pub key: DpopKey,
    nonces: Mutex<HashMap<String, String>>,
}

impl Dpop {
    pub(crate) fn new(key: DpopKey) -> Self {
        Self {
            key,
            nonces: Mutex::new(HashMap::new()),
        }
    }

    fn nonce_for(&self, url: &Url) -> Option<String> {
        self.nonces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&url.origin().ascii_serialization())
            .cloned()
    }

    fn remember_nonce(&self, url: &Url, response: &Response) {
        if let Some(nonce) = response
            .headers
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
        {
            self.nonces
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(url.origin().ascii_serialization(), nonce.to_string());
        }
    }
}

/// Whether an answer demands a (new) DPoP nonce.
fn wants_nonce(response: &Response) -> bool {
    if response.status.is_success() || !response.headers.contains_key("dpop-nonce") {
        return false;
    }
    let in_challenge = response
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("use_dpop_nonce"));
    let in_body = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(Value::as_str)
                .map(|e| e == "use_dpop_nonce")
        })
        .unwrap_or(false);
    in_challenge || in_body
}

impl AuthClient {
    /// Sends a request with a DPoP proof when the client has a DPoP key (answering one nonce
    /// demand), or as it is otherwise. `access_token` is the token the request presents.
    pub(crate) async fn send_dpop(
        &self,
        request: Request,
        access_token: Option<&str>,
    ) -> Result<Response> {
        let Some(dpop) = &self.inner.dpop else {
            return self.send(request).await;
        };
        let url = request.url.clone();
        let method = request.method.clone();
        let mut nonce = dpop.nonce_for(&url);
        for attempt in 0..2 {
            let proof = dpop.key.sign_proof(
                method.as_str(),
                url.as_str(),
                access_token,
                nonce.as_deref(),
            )?;
            let mut with_proof = request.clone();
            let value = HeaderValue::from_str(&proof)
                .map_err(|_| Error::config("a DPoP proof is not valid header text"))?;
            with_proof.headers.insert("dpop", value);
            let response = self.send(with_proof).await?;
            dpop.remember_nonce(&url, &response);
            if attempt == 0 && wants_nonce(&response) {
                nonce = dpop.nonce_for(&url);
                continue;
            }
            return Ok(response);
        }
        Err(Error::new(
            request.code,
            crate::error::ErrorKind::OAuth,
            "the server kept demanding a new DPoP nonce",
        ))
    }

    /// The client's DPoP key, when it has one.
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.inner.dpop.as_ref().map(|d| &d.key)
    }

    /// A DPoP proof for a call to your own API with a DPoP-bound access token, using the
    /// request's nonce or else the last nonce that origin gave, if any. `None` when the client
    /// has no DPoP key.
    ///
    /// ```no_run
    /// use auth0_auth::{DpopProofRequest, reqwest::Method};
    ///
    /// # fn demo(client: auth0_auth::AuthClient, token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
    /// let request = DpopProofRequest::new(Method::GET, "https://api.example.com/orders")
    ///     .access_token(token);
    /// if let Some(proof) = client.dpop_proof(request)? {
    ///     // send `Authorization: DPoP <token>` and `DPoP: <proof>`
    /// }
    /// # Ok(()) }
    /// ```
    pub fn dpop_proof(&self, request: DpopProofRequest) -> Result<Option<String>> {
        let Some(dpop) = &self.inner.dpop else {
            return Ok(None);
        };
        if request.nonce.is_some() {
            return dpop.key.proof(&request).map(Some);
        }
        let parsed = Url::parse(&request.url).map_err(|_| {
            Error::invalid_input(
                ErrorCode::NotSupported,
                "the DPoP target is not an absolute URL",
            )
        })?;
        let request = match dpop.nonce_for(&parsed) {
            Some(nonce) => request.nonce(nonce),
            None => request,
        };
        dpop.key.proof(&request).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_carry_the_rfc_9449_claims_and_verify_with_the_embedded_key() {
        let key = DpopKey::generate().unwrap();
        let proof = key
            .proof(
                &DpopProofRequest::new(
                    reqwest::Method::POST,
                    "https://t.example.com/oauth/token?x=1#f",
                )
                .access_token("at".into())
                .nonce("n1"),
            )
            .unwrap();
        let header = jsonwebtoken::decode_header(&proof).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        let jwk = header.jwk.expect("an embedded JWK");
        assert_eq!(
            jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                .unwrap(),
            key.thumbprint()
        );
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(
            &proof,
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &v,
        )
        .unwrap();
        assert_eq!(data.claims["htm"], "POST");
        assert_eq!(data.claims["htu"], "https://t.example.com/oauth/token");
        assert_eq!(data.claims["nonce"], "n1");
        assert_eq!(data.claims["ath"], b64url(&Sha256::digest(b"at")));
        let again = key
            .proof(&DpopProofRequest::new(
                reqwest::Method::POST,
                "https://t.example.com/",
            ))
            .unwrap();
        assert_ne!(proof, again);
    }

    #[test]
    fn a_proof_request_hides_its_access_token() {
        let request = DpopProofRequest::new(reqwest::Method::GET, "https://api.example.com/")
            .access_token("at-secret-value".into());
        let shown = format!("{request:?}");
        assert!(!shown.contains("at-secret-value"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }
}
