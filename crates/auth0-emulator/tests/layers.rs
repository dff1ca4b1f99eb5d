//! The emulator's inside is four layers whose imports point one way (see the crate docs,
//! "Inside the emulator"):
//!
//! 1. `src/tenant/` — the tenant model: configuration, state, keys, users, sessions;
//! 2. `src/protocol/` — protocol pieces that know no routing: token minting, client
//!    authentication, DPoP, WebAuthn, MFA and passkey checks;
//! 3. `src/endpoints/` — the HTTP endpoints, one module (or folder) per family;
//! 4. everything else (`lib.rs`, `main.rs`, `server.rs`, `emulator.rs` and `emulator/`,
//!    `demo.rs`) — the router, the builder and the test handle.
//!
//! A file may import its own layer and the layers below it. Inside `endpoints/`, a family may
//! import only itself and `endpoints/common/`. The two lower layers know no routing: no
//! `axum::routing`, `axum::extract`, `axum::middleware` or `Router` (HTTP types such as headers
//! and status codes are fine). This test reads every `.rs` file under `src/`, collects the
//! `crate::…` and `super::…` paths in its code (comments and strings are skipped) and fails
//! naming each file and import that breaks the rule.

use std::fs;
use std::path::{Path, PathBuf};

/// A module path inside the crate, as segments (`["endpoints", "token", "ciba"]`).
type ModPath = Vec<String>;

/// The layer of a module: 1 tenant, 2 protocol, 3 endpoints, 4 the top.
fn layer(module: &[String]) -> u8 {
    match module.first().map(String::as_str) {
        Some("tenant") => 1,
        Some("protocol") => 2,
        Some("endpoints") => 3,
        _ => 4,
    }
}

/// The endpoint family of a module: the segment after `endpoints` (`None` for
/// `endpoints` itself and for the shared `endpoints::common`).
fn family(module: &[String]) -> Option<&str> {
    match module {
        [first, family, ..] if first == "endpoints" && family != "common" => Some(family),
        _ => None,
    }
}

/// The module path of a file, relative to `src/`: `tenant/mod.rs` is `tenant`, `lib.rs` and
/// `main.rs` are the root.
fn module_of(relative: &Path) -> ModPath {
    let mut segments: ModPath = relative
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        segments.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        segments.pop();
    }
    segments
}

/// The code of a file without comments (line, doc and block comments) and with the insides of
/// string and character literals blanked, so doc links and messages that mention other layers
/// are not counted as imports.
fn strip_comments(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let word_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && at(i + 1) == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && !word_before && (at(i + 1) == '"' || at(i + 1) == '#') {
            // A raw string: r"…", r#"…"#, r##"…"##.
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if at(i + 1 + hashes) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let body_start = i + 2 + hashes;
            let rest: String = chars[body_start..].iter().collect();
            let body_len = rest
                .find(&close)
                .map_or(rest.len(), |e| rest[..e].chars().count());
            out.push_str("\"\"");
            i = body_start + body_len + close.chars().count();
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A character literal ('x', '\n', '\''); lifetimes ('a) are left alone.
            i += 1;
            if at(i) == '\\' {
                i += 2;
            }
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            out.push_str("' '");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The modules that `code` (in module `module`) names with `crate::…` or `super::…`, cut to
/// their first two segments (all the rule looks at: the layer and the endpoint family).
/// `use crate::x::{a, b::c}` groups name `x::a` and `x::b`.
fn imports(module: &[String], code: &str) -> Vec<ModPath> {
    let bytes = code.as_bytes();
    let mut found: Vec<ModPath> = Vec::new();
    let mut push = |mut path: ModPath| {
        path.truncate(2);
        if found.last() != Some(&path) {
            found.push(path);
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &code[i..];
        if !starts_word || !(rest.starts_with("crate::") || rest.starts_with("super::")) {
            i += 1;
            continue;
        }
        let (mut base, mut j) = if rest.starts_with("crate::") {
            (ModPath::new(), i + "crate::".len())
        } else {
            let mut base: ModPath = module.to_vec();
            let mut j = i;
            while code[j..].starts_with("super::") {
                base.pop();
                j += "super::".len();
            }
            (base, j)
        };
        loop {
            let name = identifier(&code[j..]);
            if !is_module_name(name) {
                break;
            }
            j += name.len();
            base.push(name.to_owned());
            if code[j..].starts_with("::") {
                j += 2;
            } else {
                break;
            }
        }
        if code[j..].starts_with('{') {
            let end = code[j..].find('}').map_or(code.len(), |e| j + e);
            for part in code[j + 1..end].split(',') {
                let mut path = base.clone();
                path.extend(
                    part.trim()
                        .split("::")
                        .map(identifier)
                        .take_while(|name| is_module_name(name))
                        .map(str::to_owned),
                );
                push(path);
            }
            j = end;
        } else {
            push(base);
        }
        i = j.max(i + 1);
    }
    found
}

/// The identifier `text` starts with (possibly empty).
fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Whether `name` can be a module: a lower-case identifier other than `self`.
fn is_module_name(name: &str) -> bool {
    !name.is_empty()
        && name != "self"
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
}

/// Why `from` may not import `to`, if it may not.
fn violation(from: &[String], to: &[String]) -> Option<String> {
    let (from_layer, to_layer) = (layer(from), layer(to));
    if to_layer > from_layer {
        return Some(format!(
            "layer {from_layer} imports layer {to_layer}, which is above it"
        ));
    }
    if from_layer == 3
        && to_layer == 3
        && let (Some(a), Some(b)) = (family(from), family(to))
        && a != b
    {
        return Some(format!(
            "endpoint family `{a}` imports family `{b}` (share through a lower layer or \
             endpoints::common instead)"
        ));
    }
    None
}

/// What the two lower layers may not use: axum's routing side.
const ROUTING: &[&str] = &["routing", "extract", "middleware", "Router"];

/// The routing names `code` uses, when `module` is in a layer that must know no routing.
fn routing_uses(module: &[String], code: &str) -> Vec<&'static str> {
    if layer(module) > 2 {
        return Vec::new();
    }
    ROUTING
        .iter()
        .copied()
        .filter(|name| {
            code.match_indices(name).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                let after = code[at + name.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect()
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();

    let mut arrows = 0;
    let mut layers_seen = [0usize; 4];
    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let module = module_of(relative);
        layers_seen[usize::from(layer(&module)) - 1] += 1;
        let code = strip_comments(&fs::read_to_string(file).expect("a readable source file"));
        for name in routing_uses(&module, &code) {
            problems.push(format!(
                "{}: uses axum's `{name}`: layer {} knows no routing",
                relative.display(),
                layer(&module)
            ));
        }
        for target in imports(&module, &code) {
            arrows += 1;
            if let Some(why) = violation(&module, &target) {
                problems.push(format!(
                    "{}: imports crate::{}: {why}",
                    relative.display(),
                    target.join("::")
                ));
            }
        }
    }

    eprintln!(
        "{} files (per layer {layers_seen:?}), {arrows} imports checked",
        files.len()
    );
    // Not vacuous: the walk found the crate and every layer in it.
    assert!(
        files.len() > 60,
        "only {} files found under src/",
        files.len()
    );
    assert!(arrows > 300, "only {arrows} imports found");
    assert!(
        layers_seen.iter().all(|&n| n >= 5),
        "files per layer: {layers_seen:?}"
    );
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} imports point the wrong way:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn path(text: &str) -> ModPath {
    text.split("::").map(str::to_owned).collect()
}

#[test]
fn the_parser_finds_paths_groups_and_super() {
    let module = path("endpoints::token::ciba");
    let code = strip_comments(
        "use crate::tenant::state::{Shared, now_secs};\n\
         use super::{Grant, GrantContext};\n\
         use super::super::mfa::Thing;\n\
         use crate::{emulator, protocol::issue};\n\
         // use crate::server; (a comment, not an import)\n\
         /* crate::demo */ let s = \"crate::demo in a string\";\n\
         let r = r#\"crate::server \"quoted\"\"#; let q = '\"'; let l: &'static str = s;\n\
         let x = crate::endpoints::ciba::poll(shared);\n",
    );
    let found = imports(&module, &code);
    assert_eq!(
        found,
        vec![
            path("tenant::state"),
            path("endpoints::token"),
            path("endpoints::mfa"),
            path("emulator"),
            path("protocol::issue"),
            path("endpoints::ciba"),
        ]
    );
}

#[test]
fn upward_and_cross_family_imports_are_refused() {
    // An upward arrow: the tenant importing an endpoint.
    let tenant = module_of(Path::new("tenant/state.rs"));
    let code = strip_comments("use crate::endpoints::mfa::FactorStore;\n");
    let found = imports(&tenant, &code);
    assert_eq!(found, vec![path("endpoints::mfa")]);
    assert!(
        violation(&tenant, &found[0]).is_some_and(|why| why.contains("layer 1 imports layer 3"))
    );

    // Protocol importing the builder.
    let protocol = module_of(Path::new("protocol/dpop.rs"));
    assert!(violation(&protocol, &path("emulator")).is_some());

    // One endpoint family importing another, and the allowed ones.
    let ciba = module_of(Path::new("endpoints/token/ciba.rs"));
    assert!(violation(&ciba, &path("endpoints::ciba")).is_some());
    assert!(violation(&ciba, &path("endpoints::token")).is_none());
    assert!(violation(&ciba, &path("endpoints::common::html")).is_none());
    assert!(violation(&ciba, &path("tenant::ciba")).is_none());
    assert!(violation(&ciba, &path("protocol::issue")).is_none());

    // The lower layers know no routing; endpoints do.
    let routing = "use axum::routing::post;\nuse axum::{Json, Router};\n";
    assert_eq!(routing_uses(&protocol, routing), ["routing", "Router"]);
    assert!(routing_uses(&tenant, "use axum::http::StatusCode; let routed = 1;").is_empty());
    assert!(routing_uses(&ciba, routing).is_empty());

    // The top may import anything.
    let server = module_of(Path::new("server.rs"));
    assert!(violation(&server, &path("endpoints::mfa")).is_none());
    assert_eq!(module_of(Path::new("lib.rs")), ModPath::new());
    assert_eq!(
        module_of(Path::new("endpoints/token/mod.rs")),
        path("endpoints::token")
    );
}
