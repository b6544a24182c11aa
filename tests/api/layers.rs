//! The layers depend in one direction:
//! `http → service → {origin, verify, takedown, reference} + store`.
//! These checks read the source tree, so a change that turns a dependency around fails here
//! rather than in review.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/<dir>`, with its code lines (comments dropped).
fn sources(dir: &str) -> Vec<(PathBuf, Vec<String>)> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(path).expect("source directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = Vec::new();
    if root.is_dir() {
        walk(&root, &mut files);
    } else {
        files.push(root.with_extension("rs"));
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source file");
            let code = text
                .lines()
                .map(str::trim_start)
                .filter(|line| !line.starts_with("//"))
                .map(str::to_owned)
                .collect();
            (path, code)
        })
        .collect()
}

/// The lines of `dirs` that contain `needle`.
fn uses(dirs: &[&str], needle: &str) -> Vec<String> {
    dirs.iter()
        .flat_map(|dir| sources(dir))
        .flat_map(|(path, code)| {
            code.into_iter()
                .filter(|line| line.contains(needle))
                .map(move |line| format!("{}: {line}", path.display()))
        })
        .collect()
}

const DOMAIN: &[&str] = &["origin", "verify", "takedown", "reference"];
/// Everything below the HTTP layer (and beside it: the worker and the DNS zone endpoint).
const BELOW_HTTP: &[&str] = &[
    "rpz_dns",
    "origin",
    "verify",
    "takedown",
    "reference",
    "service",
    "store",
    "network",
    "auth",
    "worker",
    "app",
    "config",
    "i18n",
    "ndjson",
    "logging",
];

#[test]
fn nothing_below_http_knows_http() {
    // `run.rs` is the composition root: it builds the router and serves it.
    assert_eq!(uses(BELOW_HTTP, "crate::http"), Vec::<String>::new());
    assert_eq!(uses(BELOW_HTTP, "axum::"), Vec::<String>::new());
}

#[test]
fn only_the_store_speaks_redis() {
    let mut outside: Vec<&str> = BELOW_HTTP
        .iter()
        .copied()
        .filter(|d| *d != "store")
        .collect();
    outside.extend(["http", "run"]);
    assert_eq!(uses(&outside, "redis::"), Vec::<String>::new());
}

#[test]
fn the_domain_is_pure() {
    // Of the network module, only its value types (names, CIDR blocks) are domain.
    for layer in [
        "crate::store",
        "crate::service",
        "crate::network::resolve",
        "crate::network::dns",
        "crate::network::tls",
        "crate::network::exchange",
        "crate::network::lookups",
        "tokio::",
    ] {
        assert_eq!(uses(DOMAIN, layer), Vec::<String>::new(), "{layer}");
    }
}

#[test]
fn the_store_only_stores() {
    assert_eq!(uses(&["store"], "crate::service"), Vec::<String>::new());
    assert_eq!(uses(&["origin"], "crate::verify"), Vec::<String>::new());
    assert_eq!(uses(&["origin"], "crate::reference"), Vec::<String>::new());
}

#[test]
fn the_checks_see_the_tree() {
    // A wrong path would make every check above pass on nothing.
    assert!(sources("takedown").len() >= 5);
    assert!(!uses(&["service"], "crate::store").is_empty());
    assert!(!uses(&["http"], "crate::service").is_empty());
}
