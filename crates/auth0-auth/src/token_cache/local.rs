//! The token cache's local copy: the tokens this process last read from the cache's store,
//! found again without hashing the key with SHA-256 and without asking the store.
//!
//! What lives here: [`LocalCopy`], a bounded table read under a shared lock, keyed by a fast
//! seeded hash (FxHash) of a key's canonical bytes and compared on the full bytes, so two
//! different requests can share a hash but never an entry. An entry also remembers the key's
//! SHA-256 [`TokenKey`], so a key seen before is never digested again. Imports only the parent
//! module (`super`): the key encoding, [`CachedToken`] and [`TokenKey`].
//!
//! A hit takes the read lock, hashes the key's parts, compares them with the entry's copy and
//! clones one `Arc`: no allocation. Misses (new keys, a copy past its time) allocate.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{PoisonError, RwLock};

use rustc_hash::FxHasher;
use secrecy::{ExposeSecret, SecretSlice};

use super::{CachedToken, KeySink, KeySource, KeyWriter, TokenKey};

/// Feeds the key's bytes to FxHash.
struct FastHash(FxHasher);

impl KeySink for FastHash {
    fn put(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

/// Compares the key's bytes, as they are written, with an entry's copy. Only entries in the
/// bucket of the key's seeded 64-bit hash are compared, so an early exit tells a caller
/// nothing about entries of other keys (landing in their bucket takes guessing the seed).
struct SameBytes<'a> {
    expected: &'a [u8],
    at: usize,
    same: bool,
}

impl KeySink for SameBytes<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if !self.same {
            return;
        }
        let end = self.at.saturating_add(bytes.len());
        self.same = self.expected.get(self.at..end) == Some(bytes);
        self.at = end;
    }
}

impl SameBytes<'_> {
    fn matched(&self) -> bool {
        self.same && self.at == self.expected.len()
    }
}

/// The table's own hasher: its keys are already FxHash values.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct Entry {
    /// The key's canonical bytes (they may hold a subject token: zeroed when dropped).
    bytes: SecretSlice<u8>,
    key: TokenKey,
    /// The token last read from the store, and when (seconds since the Unix epoch); `None`
    /// when the entry only remembers the digest.
    token: Option<(CachedToken, u64)>,
}

#[derive(Default)]
struct Table {
    buckets: HashMap<u64, Vec<Entry>, BuildHasherDefault<Prehashed>>,
    len: usize,
}

impl Table {
    fn find(&self, hash: u64, source: &impl KeySource) -> Option<&Entry> {
        self.buckets
            .get(&hash)?
            .iter()
            .find(|e| same(e.bytes.expose_secret(), source))
    }

    fn find_mut(&mut self, hash: u64, source: &impl KeySource) -> Option<&mut Entry> {
        self.buckets
            .get_mut(&hash)?
            .iter_mut()
            .find(|e| same(e.bytes.expose_secret(), source))
    }

    /// Drops the entries without a token that is still valid at `now`, then, while the table
    /// is still full, the one whose token expires soonest.
    fn make_room(&mut self, now: u64, max_entries: usize) {
        for bucket in self.buckets.values_mut() {
            bucket.retain(|e| e.token.as_ref().is_some_and(|(t, _)| t.expires_at() > now));
        }
        self.buckets.retain(|_, b| !b.is_empty());
        self.len = self.buckets.values().map(Vec::len).sum();
        if self.len >= max_entries {
            let soonest = self
                .buckets
                .iter()
                .flat_map(|(h, b)| b.iter().enumerate().map(move |(i, e)| (*h, i, e)))
                .min_by_key(|(_, _, e)| e.token.as_ref().map_or(0, |(t, _)| t.expires_at()))
                .map(|(h, i, _)| (h, i));
            if let Some((h, i)) = soonest
                && let Some(bucket) = self.buckets.get_mut(&h)
            {
                bucket.swap_remove(i);
                if bucket.is_empty() {
                    self.buckets.remove(&h);
                }
                self.len -= 1;
            }
        }
    }
}

fn same(expected: &[u8], source: &impl KeySource) -> bool {
    let mut cmp = SameBytes {
        expected,
        at: 0,
        same: true,
    };
    source.encode(&mut KeyWriter(&mut cmp));
    cmp.matched()
}

/// What the local copy knows about a key.
pub(crate) enum Local {
    /// A token read from the store less than the copy's lifetime ago (check its freshness).
    Token(CachedToken, TokenKey),
    /// Only the key's digest: read the store.
    Digest(TokenKey),
    /// Nothing.
    Unknown,
}

/// A bounded table of the tokens last read from the store. See the module docs.
pub(crate) struct LocalCopy {
    seed: usize,
    max_entries: usize,
    table: RwLock<Table>,
}

impl LocalCopy {
    pub(crate) fn new(max_entries: usize) -> Self {
        // A per-process random seed, so that which keys share a hash cannot be planned.
        let seed = RandomState::new().hash_one(0x5eed_u64) as usize;
        Self {
            seed,
            max_entries: max_entries.max(1),
            table: RwLock::new(Table::default()),
        }
    }

    /// The fast hash of `source`'s bytes.
    pub(crate) fn hash(&self, source: &impl KeySource) -> u64 {
        let mut h = FastHash(FxHasher::with_seed(self.seed));
        source.encode(&mut KeyWriter(&mut h));
        h.0.finish()
    }

    /// What is known about `source`; a token read `ttl` seconds or more before `now` is not
    /// handed out.
    pub(crate) fn get(&self, hash: u64, source: &impl KeySource, now: u64, ttl: u64) -> Local {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        match table.find(hash, source) {
            Some(Entry {
                token: Some((token, read_at)),
                key,
                ..
            }) if now < read_at.saturating_add(ttl) => Local::Token(token.clone(), *key),
            Some(entry) => Local::Digest(entry.key),
            None => Local::Unknown,
        }
    }

    /// Remembers `source`'s digest, and `token` as read from the store at `now` (or forgets the
    /// token kept for it, with `None`).
    pub(crate) fn put(
        &self,
        hash: u64,
        source: &impl KeySource,
        key: TokenKey,
        token: Option<CachedToken>,
        now: u64,
    ) {
        let token = token.map(|t| (t, now));
        {
            let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = table.find_mut(hash, source) {
                entry.key = key;
                entry.token = token;
                return;
            }
        }
        // A new entry: its bytes are encoded outside the lock.
        let entry = Entry {
            bytes: SecretSlice::from(source.bytes()),
            key,
            token,
        };
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = table.find_mut(hash, source) {
            existing.key = entry.key;
            existing.token = entry.token;
            return;
        }
        if table.len >= self.max_entries {
            table.make_room(now, self.max_entries);
        }
        table.buckets.entry(hash).or_default().push(entry);
        table.len += 1;
    }

    /// Forgets the token kept for the entry of `key` (in the bucket `hash`), so the next call
    /// reads the store.
    pub(crate) fn forget(&self, hash: u64, key: &TokenKey) {
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = table.buckets.get_mut(&hash) {
            for entry in bucket.iter_mut().filter(|e| e.key == *key) {
                entry.token = None;
            }
        }
    }

    /// How many keys the table remembers.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key source over raw parts, for the table's own tests.
    struct Parts<'a>(&'a [&'a str]);

    impl KeySource for Parts<'_> {
        fn encode<S: KeySink>(&self, w: &mut KeyWriter<'_, S>) {
            for p in self.0 {
                w.str(p);
            }
        }
    }

    fn token(expires_at: u64) -> CachedToken {
        CachedToken::new_for_tests("t", 0, expires_at)
    }

    #[test]
    fn entries_sharing_a_hash_stay_apart() {
        let local = LocalCopy::new(10);
        let (a, b) = (Parts(&["aud", "org_1"]), Parts(&["aud", "org_2"]));
        // Both under one hash, as if FxHash had collided.
        local.put(7, &a, TokenKey([1; 32]), Some(token(100)), 0);
        local.put(7, &b, TokenKey([2; 32]), Some(token(200)), 0);
        match local.get(7, &a, 1, 60) {
            Local::Token(t, k) => assert!(k == TokenKey([1; 32]) && t.expires_at() == 100),
            _ => panic!("a's token"),
        }
        match local.get(7, &b, 1, 60) {
            Local::Token(t, k) => assert!(k == TokenKey([2; 32]) && t.expires_at() == 200),
            _ => panic!("b's token"),
        }
        assert!(matches!(
            local.get(7, &Parts(&["aud", "org_3"]), 1, 60),
            Local::Unknown
        ));
        // A prefix of an entry's bytes is another key.
        assert!(matches!(
            local.get(7, &Parts(&["aud"]), 1, 60),
            Local::Unknown
        ));
        assert_eq!(local.len(), 2);
    }

    #[test]
    fn long_keys_are_compared_in_full() {
        let local = LocalCopy::new(10);
        let long = "s".repeat(1000);
        let mut other = long.clone();
        other.replace_range(999.., "t");
        let (a, b) = (Parts(&["aud", &long]), Parts(&["aud", &other]));
        local.put(local.hash(&a), &a, TokenKey([1; 32]), Some(token(100)), 0);
        assert!(matches!(
            local.get(local.hash(&a), &a, 1, 60),
            Local::Token(..)
        ));
        // Same bucket or not, the last byte tells them apart.
        assert!(matches!(
            local.get(local.hash(&a), &b, 1, 60),
            Local::Unknown
        ));
        assert_ne!(local.hash(&a), local.hash(&b));
    }

    #[test]
    fn a_copy_is_handed_out_only_for_its_lifetime() {
        let local = LocalCopy::new(10);
        let a = Parts(&["a"]);
        let h = local.hash(&a);
        local.put(h, &a, TokenKey([1; 32]), Some(token(1000)), 100);
        assert!(matches!(local.get(h, &a, 159, 60), Local::Token(..)));
        assert!(matches!(local.get(h, &a, 160, 60), Local::Digest(_)));
        assert!(matches!(local.get(h, &a, 100, 0), Local::Digest(_)));
        local.forget(h, &TokenKey([1; 32]));
        assert!(matches!(local.get(h, &a, 101, 60), Local::Digest(_)));
    }

    #[test]
    fn a_full_table_drops_the_expired_then_the_soonest() {
        let local = LocalCopy::new(2);
        let (a, b, c, d) = (Parts(&["a"]), Parts(&["b"]), Parts(&["c"]), Parts(&["d"]));
        let hash = |p: &Parts<'_>| local.hash(p);
        local.put(hash(&a), &a, TokenKey([1; 32]), Some(token(5)), 0);
        local.put(hash(&b), &b, TokenKey([2; 32]), Some(token(300)), 0);
        local.put(hash(&c), &c, TokenKey([3; 32]), Some(token(200)), 10);
        assert!(matches!(local.get(hash(&a), &a, 10, 60), Local::Unknown));
        local.put(hash(&d), &d, TokenKey([4; 32]), Some(token(400)), 10);
        assert!(matches!(local.get(hash(&c), &c, 10, 60), Local::Unknown));
        assert!(matches!(local.get(hash(&b), &b, 10, 60), Local::Token(..)));
        assert!(matches!(local.get(hash(&d), &d, 10, 60), Local::Token(..)));
        assert_eq!(local.len(), 2);
    }
}
