//! Public keys given as JWKs (RSA, or EC P-256 / P-384) turned into the SPKI PEM the rest of
//! the emulator verifies `private_key_jwt` assertions and request objects with, so a tenant file
//! may register a client's key in either form.
//!
//! The DER is written by hand: an SPKI for these key types is a fixed layout (two OIDs, a bit
//! string, and for RSA two integers), about forty lines, which a general ASN.1 crate would add
//! a dependency for. The unit tests check the output against keys `aws-lc-rs` encoded.
//!
//! Imports only the PEM and base64url helpers of `keys`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// `rsaEncryption` (1.2.840.113549.1.1.1) with its NULL parameters.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// `id-ecPublicKey` (1.2.840.10045.2.1).
const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// `prime256v1` (1.2.840.10045.3.1.7).
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `secp384r1` (1.3.132.0.34).
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// The SPKI PEM of a public JWK, or why it cannot be one.
pub(crate) fn jwk_to_pem(jwk: &Value) -> Result<String, String> {
    let field = |name: &str| -> Result<Vec<u8>, String> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the JWK has no {name:?}"))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| format!("the JWK's {name:?} is not base64url"))
    };
    if jwk.get("d").is_some() {
        return Err("the JWK holds a private key; register the public key only".to_owned());
    }
    let der = match jwk.get("kty").and_then(Value::as_str) {
        Some("RSA") => {
            let (n, e) = (field("n")?, field("e")?);
            let key = tlv(0x30, &[integer(&n), integer(&e)].concat());
            tlv(0x30, &[RSA_ALGORITHM.to_vec(), bit_string(&key)].concat())
        }
        Some("EC") => {
            let (curve, size) = match jwk.get("crv").and_then(Value::as_str) {
                Some("P-256") => (P256, 32),
                Some("P-384") => (P384, 48),
                _ => return Err("the JWK's crv must be P-256 or P-384".to_owned()),
            };
            let (x, y) = (field("x")?, field("y")?);
            if x.len() != size || y.len() != size {
                return Err("the JWK's x and y do not fit its curve".to_owned());
            }
            let point = [&[0x04][..], &x, &y].concat();
            let algorithm = tlv(0x30, &[EC_PUBLIC_KEY, curve].concat());
            tlv(0x30, &[algorithm, bit_string(&point)].concat())
        }
        _ => return Err("the JWK's kty must be RSA or EC".to_owned()),
    };
    Ok(crate::tenant::keys::pem("PUBLIC KEY", &der))
}

/// A DER INTEGER holding the unsigned big-endian `bytes`.
fn integer(bytes: &[u8]) -> Vec<u8> {
    let trimmed = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &[0][..],
    };
    let mut body = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(trimmed);
    tlv(0x02, &body)
}

/// A DER BIT STRING with no unused bits.
fn bit_string(bytes: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0u8][..], bytes].concat())
}

/// Tag, DER length, value.
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or_default());
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or_default());
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::keys::SigningKey;

    #[test]
    fn rsa_and_p256_jwks_give_the_pem_aws_lc_wrote() {
        for key in [
            SigningKey::generate().unwrap(),
            SigningKey::generate_ec().unwrap(),
        ] {
            assert_eq!(jwk_to_pem(&key.jwk()).unwrap(), key.public_key_pem());
            assert!(crate::tenant::keys::parse_assertion_key(key.public_key_pem()).is_ok());
        }
    }

    #[test]
    fn bad_jwks_are_refused() {
        let cases = [
            (
                serde_json::json!({"kty": "oct", "k": "AA"}),
                "kty must be RSA or EC",
            ),
            (serde_json::json!({"kty": "RSA", "n": "AQAB"}), "no \"e\""),
            (
                serde_json::json!({"kty": "RSA", "n": "!!", "e": "AQAB"}),
                "not base64url",
            ),
            (
                serde_json::json!({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}),
                "P-256 or P-384",
            ),
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
                "do not fit",
            ),
            (
                serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}),
                "private key",
            ),
        ];
        for (jwk, expected) in cases {
            let err = jwk_to_pem(&jwk).unwrap_err();
            assert!(err.contains(expected), "{jwk}: {err}");
        }
    }

    #[test]
    fn der_lengths_and_integers() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        assert_eq!(&tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(&tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(integer(&[0x00, 0x80]), [0x02, 2, 0x00, 0x80]);
        assert_eq!(integer(&[0x01, 0x00, 0x01]), [0x02, 3, 0x01, 0x00, 0x01]);
        assert_eq!(integer(&[0, 0]), [0x02, 1, 0]);
    }
}
