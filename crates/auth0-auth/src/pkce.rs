//! PKCE (RFC 7636): a fresh random verifier and its S256 challenge.

use sha2::{Digest, Sha256};

use crate::jwt::b64url;

/// 32 fresh random bytes (256 bits), base64url without padding (43 characters): a code
/// verifier, or a `state` or `nonce`.
pub(crate) fn random_value() -> String {
    let mut bytes = [0u8; 32];
    // The system RNG failing leaves no safe way on; aws-lc aborts in that case itself.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    b64url(&bytes)
}

/// A fresh code verifier (RFC 7636 section 4.1 asks for at least 256 bits of entropy).
pub(crate) fn new_verifier() -> String {
    random_value()
}

/// The S256 challenge of a verifier.
pub(crate) fn challenge(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_fresh_and_well_formed() {
        let a = new_verifier();
        let b = new_verifier();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
