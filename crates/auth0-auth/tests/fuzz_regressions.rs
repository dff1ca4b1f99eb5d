//! Replays the fuzz targets' seeds (`fuzz/seeds/<target>/`) and past findings
//! (`fuzz/regressions/<target>/`) through the same target bodies the fuzzers run, so a finding
//! stays fixed without running a fuzzer.

use std::path::{Path, PathBuf};

use auth0_auth::fuzzing::{TARGETS, run};

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn seeds_and_regressions_keep_every_invariant() {
    let mut replayed = 0;
    for target in TARGETS {
        for kind in ["seeds", "regressions"] {
            for file in inputs(kind, target) {
                let data = std::fs::read(&file).expect("a readable input");
                if let Err(broken) = run(target, &data) {
                    panic!("{}: {broken}", file.display());
                }
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 20, "only {replayed} inputs replayed");
}

#[test]
fn the_past_findings_are_there() {
    for (target, name) in [
        ("id_token", "header_is_an_array"),
        ("id_token", "nbf_in_the_future"),
        ("token_response", "expires_in_u64_max"),
        ("discovery", "issuer_two_trailing_slashes"),
    ] {
        assert!(
            inputs("regressions", target)
                .iter()
                .any(|p| p.ends_with(name)),
            "fuzz/regressions/{target}/{name} is missing"
        );
    }
}

#[test]
fn targets_survive_degenerate_inputs() {
    let big = vec![b'{'; 64 * 1024];
    for target in TARGETS {
        for data in [&b""[..], b"\0", b"\xff\xff\xff\xff", &big] {
            run(target, data).unwrap_or_else(|broken| panic!("{target}: {broken}"));
        }
    }
    assert!(run("no-such-target", b"").is_err());
}
