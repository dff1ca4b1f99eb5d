//! The small part of CBOR (RFC 8949) WebAuthn needs: unsigned and negative integers, byte and
//! text strings, arrays, maps, booleans and null, all with definite lengths. Enough to read an
//! attestation object and a COSE key, and to write them in the software authenticator.

/// A CBOR data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cbor {
    /// An integer (major types 0 and 1).
    Int(i128),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A UTF-8 text string.
    Text(String),
    /// An array.
    Array(Vec<Cbor>),
    /// A map, entries in the order written.
    Map(Vec<(Cbor, Cbor)>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// How deeply items may nest when decoding.
const MAX_DEPTH: usize = 16;

impl Cbor {
    /// The value under `key` in a map.
    pub(crate) fn get(&self, key: &Cbor) -> Option<&Cbor> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under text key `key` in a map.
    pub(crate) fn get_text(&self, key: &str) -> Option<&Cbor> {
        self.get(&Self::Text(key.to_owned()))
    }

    /// The value under integer key `key` in a map.
    pub(crate) fn get_int(&self, key: i128) -> Option<&Cbor> {
        self.get(&Self::Int(key))
    }

    /// The bytes of a byte string.
    pub(crate) fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text of a text string.
    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value of an integer.
    pub(crate) fn as_int(&self) -> Option<i128> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The encoding of this item.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Int(i) if *i >= 0 => head(out, 0, u64::try_from(*i).unwrap_or(u64::MAX)),
            Self::Int(i) => head(out, 1, u64::try_from(-1 - *i).unwrap_or(u64::MAX)),
            Self::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Self::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Self::Array(items) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    item.write(out);
                }
            }
            Self::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.write(out);
                    v.write(out);
                }
            }
            Self::Bool(false) => out.push(0xf4),
            Self::Bool(true) => out.push(0xf5),
            Self::Null => out.push(0xf6),
        }
    }
}

/// Writes a major type and its argument in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, value: u64) {
    let major = major << 5;
    if value < 24 {
        out.push(major | value as u8);
    } else if let Ok(v) = u8::try_from(value) {
        out.extend_from_slice(&[major | 24, v]);
    } else if let Ok(v) = u16::try_from(value) {
        out.push(major | 25);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(value) {
        out.push(major | 26);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Decodes the first item of `bytes`; returns it with the number of bytes it took.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Cbor, usize), String> {
    let mut reader = Reader { bytes, pos: 0 };
    let item = reader.item(0)?;
    Ok((item, reader.pos))
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

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| "truncated CBOR".to_owned())?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn argument(&mut self, info: u8) -> Result<u64, String> {
        let n = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Err("indefinite-length CBOR items are not supported".to_owned()),
            _ => return Err(format!("reserved CBOR additional information {info}")),
        };
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// A length that cannot exceed what is left (each element takes at least one byte).
    fn length(&mut self, info: u8) -> Result<usize, String> {
        let n = self.argument(info)?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len() - self.pos)
            .ok_or_else(|| "a CBOR length runs past the end of the data".to_owned())
    }

    fn item(&mut self, depth: usize) -> Result<Cbor, String> {
        if depth > MAX_DEPTH {
            return Err("CBOR nests too deeply".to_owned());
        }
        let first = self.byte()?;
        let (major, info) = (first >> 5, first & 0x1f);
        match major {
            0 => Ok(Cbor::Int(i128::from(self.argument(info)?))),
            1 => Ok(Cbor::Int(-1 - i128::from(self.argument(info)?))),
            2 => {
                let n = self.length(info)?;
                Ok(Cbor::Bytes(self.take(n)?.to_vec()))
            }
            3 => {
                let n = self.length(info)?;
                let text = std::str::from_utf8(self.take(n)?)
                    .map_err(|_| "a CBOR text string is not UTF-8".to_owned())?;
                Ok(Cbor::Text(text.to_owned()))
            }
            4 => {
                let n = self.length(info)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Ok(Cbor::Array(items))
            }
            5 => {
                let n = self.length(info)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.item(depth + 1)?;
                    let v = self.item(depth + 1)?;
                    entries.push((k, v));
                }
                Ok(Cbor::Map(entries))
            }
            6 => Err("CBOR tags are not supported".to_owned()),
            _ => match info {
                20 => Ok(Cbor::Bool(false)),
                21 => Ok(Cbor::Bool(true)),
                22 => Ok(Cbor::Null),
                _ => Err(format!(
                    "unsupported CBOR simple value or float ({first:#04x})"
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let item = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Int(1), Cbor::Int(2)),
            (Cbor::Int(-1), Cbor::Int(-7)),
            (Cbor::Int(-300), Cbor::Int(70_000)),
            (Cbor::Int(5), Cbor::Int(i128::from(u64::MAX))),
            (Cbor::Text("b".into()), Cbor::Bytes(vec![7; 300])),
            (
                Cbor::Text("a".into()),
                Cbor::Array(vec![Cbor::Bool(true), Cbor::Bool(false), Cbor::Null]),
            ),
            (Cbor::Text("m".into()), Cbor::Map(vec![])),
        ]);
        let bytes = item.encode();
        assert_eq!(decode_all(&bytes).unwrap(), item);
        assert_eq!(item.get_text("fmt").and_then(Cbor::as_text), Some("none"));
        assert_eq!(item.get_int(-1).and_then(Cbor::as_int), Some(-7));
    }

    #[test]
    fn known_encodings() {
        assert_eq!(Cbor::Int(-7).encode(), [0x26]);
        assert_eq!(Cbor::Int(-257).encode(), [0x39, 0x01, 0x00]);
        assert_eq!(Cbor::Int(24).encode(), [0x18, 24]);
        assert_eq!(Cbor::Text("a".into()).encode(), [0x61, b'a']);
    }

    #[test]
    fn refuses_bad_input() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0x5a, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x9f]).is_err());
        assert!(decode(&[0xc0, 0x00]).is_err());
        assert!(decode(&[0xf9, 0, 0]).is_err());
        assert!(decode_all(&[0x01, 0x02]).is_err());
        assert!(decode(&[0x62, 0xff, 0xfe]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n(0x81, 40).chain([0x00]).collect();
        assert!(decode(&deep).is_err());
        let (item, used) = decode(&[0x01, 0x02]).unwrap();
        assert_eq!((item, used), (Cbor::Int(1), 1));
    }
}
