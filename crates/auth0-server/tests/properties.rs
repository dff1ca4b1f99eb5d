//! Property tests of the cookie reader: whatever is done to a valid session's cookies (bytes
//! changed, cut, appended, chunks swapped, dropped or renamed), reading never panics and never
//! returns a session other than the one written; a changed value is always refused.

use std::sync::OnceLock;

use auth0_auth::SecretString;
use auth0_server::{
    CookieJar, CookieTransactionStore, MemoryCookieJar, Secrets, StateData, StateStore,
    StatelessStateStore, TransactionStore, crypto,
};
use proptest::prelude::*;
use serde_json::json;

const NOW: u64 = 1_800_000_000;
const NAME: &str = "__a0_session";

fn secrets() -> Secrets {
    Secrets::new(SecretString::from(
        "a-property-test-secret-of-32-characters".to_owned(),
    ))
    .unwrap()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

fn state() -> StateData {
    serde_json::from_value(json!({
        "user": {"sub": "auth0|1", "blob": "y".repeat(5000)},
        "refreshToken": "rt",
        "tokenSets": [{"audience": "default", "accessToken": "at", "expiresAt": NOW + 60}],
        "internal": {"sid": "s", "createdAt": NOW}
    }))
    .unwrap()
}

/// The cookies of one valid, chunked session (made once).
fn good_jar() -> &'static MemoryCookieJar {
    static JAR: OnceLock<MemoryCookieJar> = OnceLock::new();
    JAR.get_or_init(|| {
        let mut jar = MemoryCookieJar::new();
        runtime()
            .block_on(StatelessStateStore::new(secrets()).set(NAME, &state(), false, &mut jar, NOW))
            .unwrap();
        assert!(jar.get("__a0_session.1").is_some());
        jar
    })
}

fn read(jar: &mut MemoryCookieJar) -> Result<Option<StateData>, auth0_server::Error> {
    runtime().block_on(StatelessStateStore::new(secrets()).get(NAME, jar, NOW))
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { chunk: usize, at: usize, to: u8 },
    Cut { chunk: usize, keep: usize },
    Append { chunk: usize, text: String },
    Swap,
    Drop { chunk: usize },
    Rename { chunk: usize, to: String },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..2usize, any::<usize>(), any::<u8>()).prop_map(|(chunk, at, to)| Mutation::Flip {
            chunk,
            at,
            to
        }),
        (0..2usize, any::<usize>()).prop_map(|(chunk, keep)| Mutation::Cut { chunk, keep }),
        (0..2usize, "[A-Za-z0-9._-]{1,8}")
            .prop_map(|(chunk, text)| Mutation::Append { chunk, text }),
        Just(Mutation::Swap),
        (0..2usize).prop_map(|chunk| Mutation::Drop { chunk }),
        (0..2usize, "__a0_session(\\.[0-9x]{0,5})?")
            .prop_map(|(chunk, to)| Mutation::Rename { chunk, to }),
    ]
}

/// Applies `m` (a no-op when the chunk it needs is gone).
fn apply(jar: &mut MemoryCookieJar, m: &Mutation) {
    let name = |c: usize| format!("{NAME}.{c}");
    // A chunk an earlier mutation removed or emptied is left alone.
    let usable = |jar: &MemoryCookieJar, c: usize| jar.get(&name(c)).is_some_and(|v| !v.is_empty());
    let needs: &[usize] = match m {
        Mutation::Flip { chunk, .. }
        | Mutation::Cut { chunk, .. }
        | Mutation::Append { chunk, .. }
        | Mutation::Drop { chunk }
        | Mutation::Rename { chunk, .. } => std::slice::from_ref(chunk),
        Mutation::Swap => &[0, 1],
    };
    if !needs.iter().all(|c| usable(jar, *c)) {
        return;
    }
    match m {
        Mutation::Flip { chunk, at, to } => {
            let v = jar.get(&name(*chunk)).unwrap();
            let mut bytes = v.into_bytes();
            let i = at % bytes.len();
            bytes[i] = *to;
            jar.insert(name(*chunk), String::from_utf8_lossy(&bytes).into_owned());
        }
        Mutation::Cut { chunk, keep } => {
            let v = jar.get(&name(*chunk)).unwrap();
            jar.insert(name(*chunk), v[..keep % v.len()].to_string());
        }
        Mutation::Append { chunk, text } => {
            let v = jar.get(&name(*chunk)).unwrap();
            jar.insert(name(*chunk), format!("{v}{text}"));
        }
        Mutation::Swap => {
            let a = jar.get(&name(0)).unwrap();
            let b = jar.get(&name(1)).unwrap();
            jar.insert(name(0), b);
            jar.insert(name(1), a);
        }
        Mutation::Drop { chunk } => jar.delete(&name(*chunk), &Default::default()),
        Mutation::Rename { chunk, to } => {
            let v = jar.get(&name(*chunk)).unwrap();
            jar.delete(&name(*chunk), &Default::default());
            jar.insert(to.clone(), v);
        }
    }
}

/// Whether the reader's view differs from the good jar's.
fn differs_from_good(jar: &MemoryCookieJar) -> bool {
    let view = |pairs: &std::collections::BTreeMap<String, String>| {
        pairs
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix("__a0_session.")
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    view(good_jar().pairs()) != view(jar.pairs())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mangled_session_cookies_never_pass_or_panic(ms in proptest::collection::vec(mutation(), 1..4)) {
        let mut jar = good_jar().clone();
        for m in &ms {
            apply(&mut jar, m);
        }
        let changed = differs_from_good(&jar);
        let outcome = read(&mut jar);
        if changed {
            match outcome {
                Err(_) | Ok(None) => {}
                Ok(Some(s)) => {
                    // Only an identical reassembly may read, and then as the same session.
                    prop_assert_eq!(s.sub(), Some("auth0|1"));
                }
            }
        } else {
            prop_assert!(outcome.unwrap().is_some());
        }
    }

    #[test]
    fn arbitrary_text_is_never_a_cookie(text in "\\PC{0,400}") {
        prop_assert!(crypto::decrypt(&text, &secrets(), NAME, NOW).is_err());
        let mut jar = MemoryCookieJar::from_pairs([("__a0_tx", text.clone())]);
        let got = runtime().block_on(CookieTransactionStore::new(secrets()).get("__a0_tx", &mut jar, NOW));
        prop_assert!(matches!(got, Err(_) | Ok(None)));
    }
}

#[test]
fn only_identical_values_read() {
    // A changed byte anywhere in either chunk is always refused: sampled exhaustively on a stride.
    let good = good_jar();
    for chunk in 0..2 {
        let name = format!("{NAME}.{chunk}");
        let v = good.get(&name).unwrap();
        for i in (0..v.len()).step_by(97) {
            let mut jar = good.clone();
            let mut bytes = v.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            jar.insert(name.clone(), String::from_utf8(bytes).unwrap());
            assert!(
                read(&mut jar).is_err(),
                "chunk {chunk} byte {i} changed and read"
            );
        }
    }
}
