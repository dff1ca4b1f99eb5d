//! PKCE (RFC 7636) value syntax.

/// Whether `value` is 43 to 128 characters of `[A-Za-z0-9-._~]` (RFC 7636 for both the
/// challenge and the verifier).
pub(crate) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}
