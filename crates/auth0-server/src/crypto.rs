//! Cookie encryption, compatible with `@auth0/auth0-server-js`: a compact JWE with
//! `alg: dir` and `enc: A256CBC-HS512` (RFC 7516 / RFC 7518 §5.2.5) whose 64-byte key is derived
//! with HKDF-SHA-256 from the application's secret, salted with the cookie's name and the JWE's
//! random `kid`, and info `derived cookie encryption secret`. The payload is a JSON object
//! carrying an `exp` (seconds since the epoch) that is checked with 15 seconds of tolerance, as
//! the reference does.
//!
//! Imports only aws-lc-rs, base64, serde_json and this crate's errors: it is the one place that
//! touches key material.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::cipher::{
    AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::{constant_time, hkdf, hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde_json::{Map, Value};

use crate::error::{CookieProblem, Error};

/// The HKDF `info` of every derived cookie key.
const HKDF_INFO: &[u8] = b"derived cookie encryption secret";
/// The only key management algorithm accepted.
const ALG: &str = "dir";
/// The only content encryption accepted.
const ENC: &str = "A256CBC-HS512";
/// How late an `exp` may be and still be accepted (seconds), as the reference.
pub const CLOCK_TOLERANCE: u64 = 15;
/// The shortest secret accepted (characters).
pub const MIN_SECRET_CHARS: usize = 32;
/// The longest encrypted value read (characters): a session spread over 64 chunks of 3,072.
/// Anything longer is refused before any work.
pub const MAX_ENCRYPTED_CHARS: usize = 64 * 3072;

/// The application's cookie secrets: the first encrypts, every one decrypts (newest first), so
/// a secret can be rotated out without logging everyone out.
///
/// Keys derived from them are kept in a small bounded cache shared by the clones, so reading a
/// cookie this process has read before skips the key derivation (a key enters the cache only
/// when it opened an authentic value, so forged `kid`s never fill it).
#[derive(Clone)]
pub struct Secrets {
    list: Vec<SecretString>,
    keys: KeyCache,
}

/// How many derived keys are kept (each one cookie name and `kid`: about one per live session
/// this process serves, as a session keeps its `kid` until it is written again).
const KEY_CACHE_ENTRIES: u64 = 10_000;

/// Derived keys by (index of the secret, cookie name, `kid`), zeroed when evicted.
type DerivedKey = Arc<SecretBox<[u8; 64]>>;

#[derive(Clone)]
struct KeyCache(moka::sync::Cache<(usize, String), DerivedKey>);

impl KeyCache {
    fn new() -> Self {
        Self(moka::sync::Cache::new(KEY_CACHE_ENTRIES))
    }

    fn id(secret: usize, name: &str, kid: &str) -> (usize, String) {
        // A NUL cannot occur in a cookie name, so name + NUL + kid is unambiguous.
        let mut id = String::with_capacity(name.len() + 1 + kid.len());
        id.push_str(name);
        id.push('\0');
        id.push_str(kid);
        (secret, id)
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets([{} redacted])", self.list.len())
    }
}

impl Secrets {
    /// One secret, at least [`MIN_SECRET_CHARS`] characters long.
    pub fn new(current: SecretString) -> Result<Self, Error> {
        Self::check(&current)?;
        Ok(Self {
            list: vec![current],
            keys: KeyCache::new(),
        })
    }

    /// Adds an older secret that is still accepted when reading (tried after the newer ones).
    pub fn with_previous(mut self, previous: SecretString) -> Result<Self, Error> {
        Self::check(&previous)?;
        self.list.push(previous);
        Ok(self)
    }

    /// How many secrets are listed.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Never true: there is always a current secret.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn check(secret: &SecretString) -> Result<(), Error> {
        if secret.expose_secret().chars().count() < MIN_SECRET_CHARS {
            return Err(Error::InvalidConfiguration(format!(
                "a cookie secret must be at least {MIN_SECRET_CHARS} characters long"
            )));
        }
        Ok(())
    }

    fn current(&self) -> Result<&SecretString, Error> {
        self.list.first().ok_or_else(|| {
            Error::InvalidConfiguration("at least one secret must be provided".into())
        })
    }
}

/// HKDF length marker for a 64-byte output.
struct KeyLen64;

impl hkdf::KeyType for KeyLen64 {
    fn len(&self) -> usize {
        64
    }
}

/// The 64-byte A256CBC-HS512 key for one cookie name and `kid`.
fn derive_key(secret: &SecretString, salt: &str, kid: &str) -> Result<[u8; 64], Error> {
    let mut salt_bytes = Vec::with_capacity(salt.len() + kid.len());
    salt_bytes.extend_from_slice(salt.as_bytes());
    salt_bytes.extend_from_slice(kid.as_bytes());
    let prk =
        hkdf::Salt::new(hkdf::HKDF_SHA256, &salt_bytes).extract(secret.expose_secret().as_bytes());
    let mut key = [0u8; 64];
    prk.expand(&[HKDF_INFO], KeyLen64)
        .and_then(|okm| okm.fill(&mut key))
        .map_err(|_| Error::Crypto("key derivation failed"))?;
    Ok(key)
}

/// `HMAC-SHA-512(MAC_KEY, AAD || IV || C || AL)`, truncated to 32 bytes (RFC 7518 §5.2.2.1).
fn tag(mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA512, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ciphertext);
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    ctx.update(&al);
    let full = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(&full.as_ref()[..32]);
    out
}

/// AES_256_CBC_HMAC_SHA_512 encryption with a given IV: returns `(ciphertext, tag)`.
pub(crate) fn seal(
    key: &[u8; 64],
    iv: [u8; 16],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, [u8; 32]), Error> {
    let (mac_key, enc_key) = key.split_at(32);
    let cipher = UnboundCipherKey::new(&AES_256, enc_key)
        .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
        .map_err(|_| Error::Crypto("the encryption key was refused"))?;
    let mut buf = plaintext.to_vec();
    cipher
        .less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| Error::Crypto("encryption failed"))?;
    let t = tag(mac_key, aad, &iv, &buf);
    Ok((buf, t))
}

/// AES_256_CBC_HMAC_SHA_512 decryption: the tag is checked (in constant time) before anything
/// is decrypted. `None` when the tag or the padding is wrong.
pub(crate) fn open(
    key: &[u8; 64],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    received_tag: &[u8],
) -> Option<Vec<u8>> {
    let (mac_key, enc_key) = key.split_at(32);
    let iv: [u8; 16] = iv.try_into().ok()?;
    let expected = tag(mac_key, aad, &iv, ciphertext);
    constant_time::verify_slices_are_equal(&expected, received_tag).ok()?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return None;
    }
    let cipher = UnboundCipherKey::new(&AES_256, enc_key)
        .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
        .ok()?;
    let mut buf = ciphertext.to_vec();
    let plain = cipher
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
        .ok()?;
    Some(plain.to_vec())
}

/// A random version-4 UUID, as `crypto.randomUUID()` makes for the `kid`.
fn random_uuid() -> Result<String, Error> {
    let mut b = [0u8; 16];
    rand::fill(&mut b).map_err(|_| Error::Crypto("no randomness"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Encrypts `payload` (a JSON object; `exp` is set to `expires_at`) under the current secret,
/// for the cookie (or cookie family) `name`.
pub fn encrypt(
    payload: &Map<String, Value>,
    secrets: &Secrets,
    name: &str,
    expires_at: u64,
) -> Result<String, Error> {
    let json = serde_json::to_vec(payload).map_err(|_| Error::Crypto("payload encoding"))?;
    encrypt_object(json, secrets, name, expires_at)
}

/// [`encrypt`] for a payload already serialized as a JSON object: `exp` is added as its last
/// member (so it wins over any `exp` inside).
pub fn encrypt_object(
    mut json: Vec<u8>,
    secrets: &Secrets,
    name: &str,
    expires_at: u64,
) -> Result<String, Error> {
    if json.first() != Some(&b'{') || json.last() != Some(&b'}') {
        return Err(Error::Crypto("the payload is not a JSON object"));
    }
    json.pop();
    if json.len() > 1 {
        json.push(b',');
    }
    json.extend_from_slice(format!("\"exp\":{expires_at}}}").as_bytes());
    let kid = random_uuid()?;
    // Not cached here: a cache insert costs a write more than the derivation saves; the first
    // read of this value caches its key for the reads after it.
    let key = derive_key(secrets.current()?, name, &kid)?;
    let header = serde_json::json!({ "alg": ALG, "enc": ENC, "kid": kid });
    let header_b64 = URL_SAFE_NO_PAD.encode(header.to_string());
    let mut iv = [0u8; 16];
    rand::fill(&mut iv).map_err(|_| Error::Crypto("no randomness"))?;
    let (ciphertext, t) = seal(&key, iv, header_b64.as_bytes(), &json)?;
    Ok(format!(
        "{header_b64}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(ciphertext),
        URL_SAFE_NO_PAD.encode(t)
    ))
}

/// The parts of a compact JWE, decoded and checked for shape.
struct Parts<'a> {
    header_b64: &'a str,
    kid: String,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

fn parse(value: &str) -> Result<Parts<'_>, CookieProblem> {
    if value.len() > MAX_ENCRYPTED_CHARS {
        return Err(CookieProblem::TooLarge);
    }
    let mut it = value.split('.');
    let (Some(h), Some(ek), Some(iv), Some(ct), Some(tag), None) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err(CookieProblem::Malformed("not a compact JWE of five parts"));
    };
    if !ek.is_empty() {
        return Err(CookieProblem::Malformed(
            "a direct-key JWE has an empty encrypted key",
        ));
    }
    let decode = |s: &str, what: &'static str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| CookieProblem::Malformed(what))
    };
    let header_bytes = decode(h, "the JWE header is not base64url")?;
    let header: Map<String, Value> = serde_json::from_slice(&header_bytes)
        .map_err(|_| CookieProblem::Malformed("the JWE header is not a JSON object"))?;
    if header.get("alg").and_then(Value::as_str) != Some(ALG)
        || header.get("enc").and_then(Value::as_str) != Some(ENC)
    {
        return Err(CookieProblem::Malformed(
            "the JWE is not alg dir / enc A256CBC-HS512",
        ));
    }
    if header.contains_key("zip") || header.contains_key("crit") {
        return Err(CookieProblem::Malformed(
            "the JWE header asks for zip or crit",
        ));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or(CookieProblem::Malformed("the JWE header has no usable kid"))?
        .to_owned();
    let iv = decode(iv, "the JWE IV is not base64url")?;
    if iv.len() != 16 {
        return Err(CookieProblem::Malformed("the JWE IV is not 16 bytes"));
    }
    let tag = decode(tag, "the JWE tag is not base64url")?;
    if tag.len() != 32 {
        return Err(CookieProblem::Malformed("the JWE tag is not 32 bytes"));
    }
    let ciphertext = decode(ct, "the JWE ciphertext is not base64url")?;
    Ok(Parts {
        header_b64: h,
        kid,
        iv,
        ciphertext,
        tag,
    })
}

/// Decrypts a value written by [`encrypt`] (or by auth0-server-js) for the cookie `name`,
/// trying every listed secret, and checks its `exp` against `now`. Returns the payload without
/// `exp`, and that `exp`.
pub fn decrypt(
    value: &str,
    secrets: &Secrets,
    name: &str,
    now: u64,
) -> Result<(Map<String, Value>, u64), CookieProblem> {
    let parts = parse(value)?;
    let open_with = |key: &[u8; 64]| {
        open(
            key,
            &parts.iv,
            parts.header_b64.as_bytes(),
            &parts.ciphertext,
            &parts.tag,
        )
    };
    let plaintext = secrets
        .list
        .iter()
        .enumerate()
        .find_map(|(index, secret)| {
            let id = KeyCache::id(index, name, &parts.kid);
            if let Some(key) = secrets.keys.0.get(&id) {
                return open_with(key.expose_secret());
            }
            let key = derive_key(secret, name, &parts.kid).ok()?;
            let plaintext = open_with(&key)?;
            // Only keys that opened an authentic value are kept.
            secrets
                .keys
                .0
                .insert(id, Arc::new(SecretBox::new(Box::new(key))));
            Some(plaintext)
        })
        .ok_or(CookieProblem::NotAuthentic)?;
    let mut payload: Map<String, Value> = serde_json::from_slice(&plaintext)
        .map_err(|_| CookieProblem::Malformed("the payload is not a JSON object"))?;
    let exp = match payload.remove("exp") {
        Some(Value::Number(n)) => {
            let exp = n.as_f64().unwrap_or(0.0);
            if !exp.is_finite() || exp < 0.0 {
                return Err(CookieProblem::Malformed("the payload's exp is not a time"));
            }
            // Fractional seconds (the reference's stateful cookies) round down.
            let exp = exp as u64;
            if exp.saturating_add(CLOCK_TOLERANCE) < now {
                return Err(CookieProblem::Expired);
            }
            exp
        }
        Some(_) => return Err(CookieProblem::Malformed("the payload's exp is not a time")),
        None => return Err(CookieProblem::Malformed("the payload has no exp")),
    };
    Ok((payload, exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn secrets(s: &str) -> Secrets {
        Secrets::new(SecretString::from(s.to_owned())).unwrap()
    }

    const A: &str = "a-cookie-secret-of-at-least-32-characters";
    const B: &str = "another-cookie-secret-of-32-characters!!";

    /// RFC 7518 Appendix B.3: AES_256_CBC_HMAC_SHA_512.
    #[test]
    fn rfc7518_b3_test_vector() {
        let key: [u8; 64] = (0u8..64).collect::<Vec<_>>().try_into().unwrap();
        let plaintext = b"A cipher system must not be required to be secret, and it must be able to fall into the hands of the enemy without inconvenience";
        let iv: [u8; 16] = hex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04")
            .try_into()
            .unwrap();
        let aad = b"The second principle of Auguste Kerckhoffs";
        let expected_ct = hex("4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd
            3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc c7 bd 82 2c 30 1d d6 7c 37 3b cc b5 84 ad
            3e 92 79 c2 e6 d1 2a 13 74 b7 7f 07 75 53 df 82 94 10 44 6b 36 eb d9 70 66 29 6a e6
            42 7e a7 5c 2e 08 46 a1 1a 09 cc f5 37 0d c8 0b fe cb ad 28 c7 3f 09 b3 a3 b7 5e 66
            2a 25 94 41 0a e4 96 b2 e2 e6 60 9e 31 e6 e0 2c c8 37 f0 53 d2 1f 37 ff 4f 51 95 0b
            be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6");
        let expected_tag = hex("4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf
            2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5");
        let (ct, t) = seal(&key, iv, aad, plaintext).unwrap();
        assert_eq!(ct, expected_ct);
        assert_eq!(t.to_vec(), expected_tag);
        let back = open(&key, &iv, aad, &ct, &t).unwrap();
        assert_eq!(back, plaintext);
        // One bit off anywhere fails.
        let mut bad_tag = t;
        bad_tag[31] ^= 1;
        assert!(open(&key, &iv, aad, &ct, &bad_tag).is_none());
        let mut bad_ct = ct.clone();
        bad_ct[0] ^= 1;
        assert!(open(&key, &iv, aad, &bad_ct, &t).is_none());
        assert!(open(&key, &iv, b"The second principle", &ct, &t).is_none());
    }

    #[test]
    fn derived_keys_are_cached_only_for_authentic_values() {
        let secrets = Secrets::new(SecretString::from("a".repeat(40))).unwrap();
        let mut payload = Map::new();
        payload.insert("user".into(), Value::from("x"));
        let value = encrypt(&payload, &secrets, "__a0_session", 4_000_000_000).unwrap();
        secrets.keys.0.run_pending_tasks();
        assert_eq!(secrets.keys.0.entry_count(), 0, "writing caches nothing");
        // The first read caches the key; a clone shares the cache and reads through it.
        assert!(decrypt(&value, &secrets, "__a0_session", 1).is_ok());
        secrets.keys.0.run_pending_tasks();
        assert_eq!(secrets.keys.0.entry_count(), 1);
        let clone = secrets.clone();
        assert!(decrypt(&value, &clone, "__a0_session", 1).is_ok());
        // Another cookie name derives another key: the cached one must not open it.
        assert!(matches!(
            decrypt(&value, &secrets, "__a0_other", 1),
            Err(CookieProblem::NotAuthentic)
        ));
        // A value under an unknown kid (forged) is refused and leaves nothing behind.
        let other = Secrets::new(SecretString::from("b".repeat(40))).unwrap();
        let foreign = encrypt(&payload, &other, "__a0_session", 4_000_000_000).unwrap();
        assert!(decrypt(&foreign, &secrets, "__a0_session", 1).is_err());
        secrets.keys.0.run_pending_tasks();
        assert_eq!(secrets.keys.0.entry_count(), 1);
        // A previous secret's key is cached under its own index once it opened a value.
        let rotated = Secrets::new(SecretString::from("c".repeat(40)))
            .unwrap()
            .with_previous(SecretString::from("b".repeat(40)))
            .unwrap();
        assert!(decrypt(&foreign, &rotated, "__a0_session", 1).is_ok());
        assert!(decrypt(&foreign, &rotated, "__a0_session", 1).is_ok());
        rotated.keys.0.run_pending_tasks();
        assert_eq!(rotated.keys.0.entry_count(), 1);
        assert!(format!("{secrets:?}").contains("redacted"));
    }

    #[test]
    fn hkdf_uses_name_and_kid_as_salt() {
        let s = SecretString::from(A.to_owned());
        let k1 = derive_key(&s, "__a0_session", "kid-1").unwrap();
        let k2 = derive_key(&s, "__a0_session", "kid-2").unwrap();
        let k3 = derive_key(&s, "__a0_tx", "kid-1").unwrap();
        assert_ne!(k1, k2);
        assert_ne!(k1, k3);
        // The salt is the concatenation: the boundary does not matter.
        assert_eq!(k1, derive_key(&s, "__a0_session", "kid-1").unwrap());
        assert_eq!(
            derive_key(&s, "ab", "c").unwrap(),
            derive_key(&s, "a", "bc").unwrap()
        );
    }

    #[test]
    fn round_trip_and_header() {
        let mut p = Map::new();
        p.insert("hello".into(), Value::from("world"));
        let jwe = encrypt(&p, &secrets(A), "__a0_session", 1_000).unwrap();
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwe.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "dir");
        assert_eq!(header["enc"], "A256CBC-HS512");
        assert_eq!(header["kid"].as_str().unwrap().len(), 36);
        assert_eq!(
            decrypt(&jwe, &secrets(A), "__a0_session", 1_000).unwrap(),
            (p, 1_000)
        );
        // Tolerance, then expiry.
        assert!(decrypt(&jwe, &secrets(A), "__a0_session", 1_015).is_ok());
        assert_eq!(
            decrypt(&jwe, &secrets(A), "__a0_session", 1_016),
            Err(CookieProblem::Expired)
        );
        // Another cookie name is another key.
        assert_eq!(
            decrypt(&jwe, &secrets(A), "__a0_tx", 1_000),
            Err(CookieProblem::NotAuthentic)
        );
    }

    #[test]
    fn exp_is_appended_to_any_object() {
        let s = secrets(A);
        let empty = encrypt_object(b"{}".to_vec(), &s, "n", 7).unwrap();
        assert_eq!(decrypt(&empty, &s, "n", 0).unwrap(), (Map::new(), 7));
        // An `exp` inside is overridden by the one given.
        let inner = encrypt_object(br#"{"a":1,"exp":1}"#.to_vec(), &s, "n", 9).unwrap();
        let (payload, exp) = decrypt(&inner, &s, "n", 0).unwrap();
        assert_eq!((payload["a"].as_u64(), exp), (Some(1), 9));
        assert!(encrypt_object(b"[1]".to_vec(), &s, "n", 9).is_err());
    }

    #[test]
    fn rotation_reads_listed_secrets_only() {
        let p = Map::new();
        let old = encrypt(&p, &secrets(B), "n", 10).unwrap();
        let rotated = secrets(A)
            .with_previous(SecretString::from(B.to_owned()))
            .unwrap();
        assert!(decrypt(&old, &rotated, "n", 0).is_ok());
        assert_eq!(
            decrypt(&old, &secrets(A), "n", 0),
            Err(CookieProblem::NotAuthentic)
        );
        // The newest secret encrypts.
        let new = encrypt(&p, &rotated, "n", 10).unwrap();
        assert!(decrypt(&new, &secrets(A), "n", 0).is_ok());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Secrets::new(SecretString::from("short".to_owned())).is_err());
        let dbg = format!("{:?}", secrets(A));
        assert!(!dbg.contains(A), "{dbg}");
    }

    #[test]
    fn mangled_values_are_refused_with_a_reason() {
        let mut p = Map::new();
        p.insert("x".into(), Value::from(1));
        let jwe = encrypt(&p, &secrets(A), "n", 10).unwrap();
        let s = secrets(A);
        let parts: Vec<&str> = jwe.split('.').collect();
        let cases = [
            String::new(),
            "a.b.c".into(),
            jwe[..jwe.len() - 1].to_string(),
            format!("{jwe}."),
            format!(
                "{}.{}.{}.{}.{}",
                parts[0], "AAAA", parts[2], parts[3], parts[4]
            ),
            format!("{}..{}.{}.{}", parts[0], parts[3], parts[2], parts[4]),
            format!("{}..{}.{}.{}", parts[0], parts[2], parts[3], parts[2]),
            format!(
                "{}..{}.{}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"dir","enc":"A128CBC-HS256","kid":"x"}"#),
                parts[2],
                parts[3],
                parts[4]
            ),
            format!(
                "{}..{}.{}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"dir","enc":"A256CBC-HS512"}"#),
                parts[2],
                parts[3],
                parts[4]
            ),
            "x".repeat(MAX_ENCRYPTED_CHARS + 1),
        ];
        for case in cases {
            assert!(decrypt(&case, &s, "n", 0).is_err(), "accepted {case:?}");
        }
    }
}
