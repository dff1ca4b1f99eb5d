//! CBOR (RFC 8949) for WebAuthn, by `ciborium`: reading attestation objects and COSE keys,
//! writing them in the software authenticator. What is here is only the WebAuthn profile on
//! top: a nesting limit, no tags and no floats (neither occurs in attestation objects or COSE
//! keys), whole-input decoding, and lookups by text or integer key.

use ciborium::value::Integer;

/// A CBOR data item.
pub(crate) type Cbor = ciborium::Value;

/// How deeply items may nest when decoding.
const MAX_DEPTH: usize = 16;

/// An integer item.
pub(crate) fn int(value: i64) -> Cbor {
    Cbor::Integer(Integer::from(value))
}

/// A text item.
pub(crate) fn text(value: &str) -> Cbor {
    Cbor::Text(value.to_owned())
}

/// The value under `key` in a map (the first entry with that key).
pub(crate) fn get<'a>(map: &'a Cbor, key: &Cbor) -> Option<&'a Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

/// The value under text key `key` in a map.
pub(crate) fn get_text<'a>(map: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    get(map, &text(key))
}

/// The value under integer key `key` in a map.
pub(crate) fn get_int(map: &Cbor, key: i64) -> Option<&Cbor> {
    get(map, &int(key))
}

/// The value of an integer item.
pub(crate) fn as_int(item: &Cbor) -> Option<i128> {
    item.as_integer().map(i128::from)
}

/// The bytes of a byte-string item.
pub(crate) fn as_bytes(item: &Cbor) -> Option<&[u8]> {
    item.as_bytes().map(Vec::as_slice)
}

/// The encoding of `item` (shortest heads, definite lengths).
pub(crate) fn encode(item: &Cbor) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(item, &mut out).map_err(|e| format!("CBOR encoding failed: {e}"))?;
    Ok(out)
}

/// Decodes the first item of `bytes`; returns it with the number of bytes it took.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Cbor, usize), String> {
    let mut rest = bytes;
    let item: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_DEPTH).map_err(
        |e| match e {
            ciborium::de::Error::RecursionLimitExceeded => "CBOR nests too deeply".to_owned(),
            ciborium::de::Error::Io(_) => "truncated CBOR".to_owned(),
            other => format!("invalid CBOR: {other}"),
        },
    )?;
    refuse_unsupported(&item)?;
    Ok((item, bytes.len() - rest.len()))
}

/// Decodes `bytes`, which must hold exactly one item.
pub(crate) fn decode_all(bytes: &[u8]) -> Result<Cbor, String> {
    let (item, used) = decode(bytes)?;
    if used != bytes.len() {
        return Err(format!(
            "{} unexpected bytes after the CBOR item",
            bytes.len() - used
        ));
    }
    Ok(item)
}

/// Refuses tags and floats anywhere in `item`: WebAuthn's structures have neither.
fn refuse_unsupported(item: &Cbor) -> Result<(), String> {
    match item {
        Cbor::Tag(..) => Err("CBOR tags are not supported".to_owned()),
        Cbor::Float(_) => Err("CBOR floats are not supported".to_owned()),
        Cbor::Array(items) => items.iter().try_for_each(refuse_unsupported),
        Cbor::Map(entries) => entries.iter().try_for_each(|(k, v)| {
            refuse_unsupported(k)?;
            refuse_unsupported(v)
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let item = Cbor::Map(vec![
            (text("fmt"), text("none")),
            (int(1), int(2)),
            (int(-1), int(-7)),
            (int(-300), int(70_000)),
            (int(5), Cbor::Integer(Integer::from(u64::MAX))),
            (text("b"), Cbor::Bytes(vec![7; 300])),
            (
                text("a"),
                Cbor::Array(vec![Cbor::Bool(true), Cbor::Bool(false), Cbor::Null]),
            ),
            (text("m"), Cbor::Map(vec![])),
        ]);
        let bytes = encode(&item).unwrap();
        assert_eq!(decode_all(&bytes).unwrap(), item);
        assert_eq!(get_text(&item, "fmt").and_then(Cbor::as_text), Some("none"));
        assert_eq!(get_int(&item, -1).and_then(as_int), Some(-7));
        assert_eq!(
            get_int(&item, 5).and_then(as_int),
            Some(i128::from(u64::MAX))
        );
        assert_eq!(get_text(&item, "b").and_then(as_bytes), Some(&[7; 300][..]));
        assert_eq!(get_text(&item, "missing"), None);
        assert_eq!(get_text(&int(1), "fmt"), None);
    }

    #[test]
    fn known_encodings() {
        assert_eq!(encode(&int(-7)).unwrap(), [0x26]);
        assert_eq!(encode(&int(-257)).unwrap(), [0x39, 0x01, 0x00]);
        assert_eq!(encode(&int(24)).unwrap(), [0x18, 24]);
        assert_eq!(encode(&text("a")).unwrap(), [0x61, b'a']);
    }

    #[test]
    fn refuses_bad_input() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0x5a, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x9f]).is_err());
        assert_eq!(
            decode(&[0xc0, 0x00]).unwrap_err(),
            "CBOR tags are not supported"
        );
        assert_eq!(
            decode(&[0xf9, 0, 0]).unwrap_err(),
            "CBOR floats are not supported"
        );
        assert!(decode(&[0xa1, 0x01, 0xf9, 0, 0]).is_err());
        assert!(decode_all(&[0x01, 0x02]).is_err());
        assert!(decode(&[0x62, 0xff, 0xfe]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n(0x81, 40).chain([0x00]).collect();
        assert_eq!(decode(&deep).unwrap_err(), "CBOR nests too deeply");
        let (item, used) = decode(&[0x01, 0x02]).unwrap();
        assert_eq!((item, used), (int(1), 1));
    }
}
