//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA-1, six digits, 30-second
//! steps, with secrets in base32 (RFC 4648, no padding) as authenticator apps expect them.

use aws_lc_rs::hmac;

/// Seconds per TOTP step.
pub(crate) const STEP: u64 = 30;

/// Digits per code.
const DIGITS: u32 = 6;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` in base32 without padding.
pub(crate) fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32 (case-insensitive; spaces, dashes and trailing `=` are ignored).
///
/// Hand-written on purpose (with [`base32_encode`]): secrets are typed or pasted by people, so
/// decoding is lenient in ways a strict RFC 4648 codec (such as `data-encoding`) refuses.
pub(crate) fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').chars() {
        if c == ' ' || c == '-' {
            continue;
        }
        let upper = c.to_ascii_uppercase();
        let value = ALPHABET.iter().position(|&a| char::from(a) == upper)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

/// The HOTP code of `secret` for `counter`.
pub(crate) fn hotp(secret: &[u8], counter: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or_default() & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .map(|w| u32::from_be_bytes([w[0] & 0x7f, w[1], w[2], w[3]]))
        .unwrap_or_default();
    format!("{:06}", word % 10u32.pow(DIGITS))
}

/// The six-digit TOTP code (SHA-1, 30-second steps) of the base32 secret `secret_base32` at
/// `unix_time`, as an authenticator app would show it; `None` when the secret is not base32 or
/// is empty.
///
/// Tests use it to answer an OTP enrollment:
/// ```
/// // RFC 6238's test secret ("12345678901234567890") at T = 59 s.
/// let code = auth0_emulator::totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59);
/// assert_eq!(code.as_deref(), Some("287082"));
/// ```
pub fn totp_code(secret_base32: &str, unix_time: u64) -> Option<String> {
    let secret = base32_decode(secret_base32).filter(|s| !s.is_empty())?;
    Some(hotp(&secret, unix_time / STEP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW 6YTB-OI").unwrap(), b"foobar");
        assert!(base32_decode("MZ1").is_none());
    }

    #[test]
    fn totp_matches_rfc_6238() {
        let secret = base32_encode(b"12345678901234567890");
        assert_eq!(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp_code(&secret, t).as_deref(), Some(code), "T={t}");
        }
        assert_eq!(totp_code("", 59), None);
        assert_eq!(totp_code("!!", 59), None);
    }

    #[test]
    fn hotp_matches_rfc_4226() {
        let expected = ["755224", "287082", "359152", "969429", "338314"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64), *code);
        }
    }
}
