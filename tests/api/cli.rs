//! The command line: `import` loads reference data like the HTTP load does; `keys new` prints
//! a usable stanza; `openapi` prints the committed document; the dev service loads the sample
//! data on its first start.

use crate::common;

use std::process::Command;

use common::{free_port, TestRedis};

fn originguard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_originguard"));
    command.env("RUST_LOG", "error");
    command
}

#[tokio::test]
async fn import_loads_good_lines_and_reports_bad_ones() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("products.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"gtin":"4006381333931","name":"Pencils","manufacturer_tax_code":"0100109106","country_of_origin":"DE"}"#,
            "\n\n",
            r#"{"gtin":"4006381333932","name":"Bad","manufacturer_tax_code":"0100109106","country_of_origin":"DE"}"#,
            "\n",
        ),
    )
    .unwrap();
    let output = originguard()
        .args(["import", "products"])
        .arg(&file)
        .env("REDIS_URL", redis.url())
        .output()
        .unwrap();
    // Some lines were rejected: the exit status says so, and the good line is stored anyway.
    assert!(
        !output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 lines accepted, 1 rejected"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected"][0]["line"], 3);
    assert_eq!(report["rejected"][0]["errors"][0]["code"], "check_digit");
    let stored: Option<String> = redis::cmd("GET")
        .arg("og:ref:product:04006381333931")
        .query(&mut redis.connection())
        .unwrap();
    let stored: serde_json::Value = serde_json::from_str(&stored.expect("stored")).unwrap();
    assert_eq!(stored["country_of_origin"], "DE");
}

#[tokio::test]
async fn an_import_without_rejections_exits_zero() {
    let redis = TestRedis::start().await;
    let output = originguard()
        .args(["import", "platforms", "fixtures/reference/platforms.ndjson"])
        .env("REDIS_URL", redis.url())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["accepted"].as_u64().unwrap() >= 10);
}

#[test]
fn keys_new_lists_the_roles_it_takes() {
    let output = originguard()
        .args(["keys", "new", "--role", "boss", "--name", "x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for role in [
        "platform",
        "authority",
        "registry",
        "operator",
        "steward",
        "admin",
    ] {
        assert!(stderr.contains(role), "{stderr}");
    }
}

#[tokio::test]
async fn import_of_a_missing_file_fails_clearly() {
    let redis = TestRedis::start().await;
    let output = originguard()
        .args(["import", "taxpayers", "/nonexistent/file.ndjson"])
        .env("REDIS_URL", redis.url())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot open /nonexistent/file.ndjson")
    );
}

#[test]
fn keys_new_prints_a_secret_and_a_stanza_that_loads() {
    let output = originguard()
        .args([
            "keys",
            "new",
            "--role",
            "operator",
            "--operator",
            "viettel",
            "--name",
            "viettel-dns",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("# og_"))
        .map(|rest| format!("og_{rest}"))
        .expect("secret line");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    std::fs::write(&path, &text).unwrap();
    let store = originguard::auth::KeyStore::load(&path).unwrap();
    let caller = store
        .authenticate(&secret)
        .expect("the printed secret authenticates");
    assert_eq!(caller.operator.as_deref(), Some("viettel"));
    let stanza: String = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        !stanza.contains(&secret),
        "only the digest goes into the keys file"
    );
    let refused = originguard()
        .args(["keys", "new", "--role", "operator", "--name", "x"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "operator keys need --operator");
    // An unknown role is refused with the list of roles: see
    // `keys_new_lists_the_roles_it_takes`.
}

#[test]
fn openapi_subcommand_prints_the_generated_document() {
    let output = originguard().arg("openapi").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        originguard::http::router::openapi_json()
    );
}

/// `originguard serve` as a newcomer runs it in `dir`: no REDIS_URL, no keys file.
fn dev_serve(dir: &std::path::Path, port: u16) -> Command {
    let mut command = originguard();
    command
        .arg("serve")
        .env_remove("REDIS_URL")
        .env_remove("ORIGINGUARD_KEYS_FILE")
        .env("ORIGINGUARD_LISTEN", format!("127.0.0.1:{port}"))
        .current_dir(dir);
    command
}

#[test]
fn the_dev_service_loads_the_sample_data_on_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = dev_serve(dir.path(), port)
        .env_remove("ORIGINGUARD_NO_SAMPLE_DATA")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let socket = dir
        .path()
        .canonicalize()
        .unwrap()
        .join("data/redis/redis.sock");
    let url = format!("redis+unix://{}", socket.display());
    let mut loaded = None;
    for _ in 0..200 {
        if let Ok(mut conn) = redis::Client::open(url.as_str()).and_then(|c| c.get_connection()) {
            let flag: Option<String> = redis::cmd("GET")
                .arg("og:meta:samples_loaded")
                .query(&mut conn)
                .unwrap_or(None);
            // The flag is set once the records are in.
            if flag.is_some() {
                let product: Option<String> = redis::cmd("GET")
                    .arg("og:ref:product:08935049500018")
                    .query(&mut conn)
                    .unwrap_or(None);
                if product.is_some() {
                    loaded = product;
                    break;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    let product: serde_json::Value =
        serde_json::from_str(&loaded.expect("sample product loaded")).unwrap();
    assert_eq!(product["country_of_origin"], "VN");
    assert_eq!(product["lots"][1]["recalled"], true);
}

#[test]
fn the_dev_keys_are_printed_once_as_lines_to_paste_into_a_shell() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = dev_serve(dir.path(), port)
        .env("ORIGINGUARD_NO_SAMPLE_DATA", "true")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut exports = Vec::new();
    let mut banner = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(export) = line.strip_prefix("export ") {
            exports.push(export.to_owned());
            banner.push(line);
        } else if line.starts_with('#') {
            let last = line.contains("Do not use these keys in production");
            banner.push(line);
            if last {
                break;
            }
        }
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    let names: Vec<&str> = exports
        .iter()
        .filter_map(|e| e.split_once('=').map(|(name, _)| name))
        .collect();
    assert_eq!(
        names,
        [
            "PLATFORM_KEY",
            "AUTHORITY_KEY",
            "REGISTRY_KEY",
            "OPERATOR_KEY",
            "STEWARD_KEY",
            "ADMIN_KEY"
        ]
    );
    // Every printed secret is a key of the file written, and the block is valid shell.
    let keys_file = std::fs::read_to_string(dir.path().join("data/dev-keys.toml")).unwrap();
    for export in &exports {
        let (_, secret) = export.split_once('=').unwrap();
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()));
        assert!(keys_file.contains(&digest), "{export}");
    }
    let script = format!("{}\necho \"$ADMIN_KEY\"", banner.join("\n"));
    let shell = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(shell.status.success());
    let admin = exports.last().unwrap().split_once('=').unwrap().1;
    assert_eq!(String::from_utf8_lossy(&shell.stdout).trim(), admin);
}
