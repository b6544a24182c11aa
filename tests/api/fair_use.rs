//! Fair use, against the real service binary and a real Redis: per-key rate limits shared by
//! two replicas, the 429 answer and its fields, health endpoints never limited, batches
//! counted by size, expired keys beside their rotated twin, and keys files that must be
//! refused.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, TestRedis};
use originguard::auth::{new_key_stanza, Caller, Role};
use serde_json::json;

/// One `originguard serve` process on a free loopback port, stopped on drop.
struct Replica {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Replica {
    /// Starts the service on `redis` with `keys_file`; its log goes to `dir/<name>.log`.
    async fn start(redis: &TestRedis, keys_file: &Path, dir: &Path, name: &str) -> Replica {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_originguard"))
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--nameservers", "127.0.0.1:1"])
            .arg("--no-workers")
            .arg("--keys-file")
            .arg(keys_file)
            .arg("--data-dir")
            .arg(dir.join(format!("{name}-data")))
            .env("REDIS_URL", redis.url())
            .env("RUST_LOG", "info")
            .env_remove("ORIGINGUARD_NO_RATE_LIMITS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("originguard serve");
        let replica = Replica {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = client();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(answer) = client.get(replica.url("/healthz")).send().await {
                if answer.status().is_success() {
                    return replica;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service did not start: {}", replica.log_text());
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// A key of `role` named `name`, with extra keys-file lines; returns (secret, stanza).
fn key(role: Role, name: &str, extra: &str) -> (String, String) {
    let caller = Caller {
        name: name.to_owned(),
        role,
        agency: (role == Role::Authority).then(|| "Cục QLTT Hà Nội".to_owned()),
        operator: (role == Role::Operator).then(|| "viettel".to_owned()),
        platform: None,
        key_id: None,
    };
    let (secret, mut stanza) = new_key_stanza(&caller).expect("stanza");
    stanza.push_str(extra);
    stanza.push('\n');
    (secret, stanza)
}

/// A simple limited request: the tax code check, answered from the code alone.
async fn tax_check(client: &reqwest::Client, replica: &Replica, secret: &str) -> reqwest::Response {
    client
        .get(replica.url("/v1/tax-codes/0100109106"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("request")
}

fn header<'a>(answer: &'a reqwest::Response, name: &str) -> &'a str {
    answer
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// `r` of a `RateLimit` field value.
fn remaining(field: &str) -> u64 {
    field
        .split(';')
        .find_map(|p| p.strip_prefix("r="))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no r in {field}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_hold_one_keys_limit_and_other_keys_are_unaffected() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    // 1200 a minute is 20 a second; a burst of 20.
    let (flood, flood_stanza) = key(
        Role::Platform,
        "flood",
        "rate_per_minute = 1200\nburst = 20",
    );
    // The platform default: 6000 a minute, a burst of 600.
    let (calm, calm_stanza) = key(Role::Platform, "calm", "");
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(&keys_file, format!("{flood_stanza}{calm_stanza}")).unwrap();
    let a = Replica::start(&redis, &keys_file, dir.path(), "a").await;
    let b = Replica::start(&redis, &keys_file, dir.path(), "b").await;
    let replicas = std::sync::Arc::new([a, b]);

    let window = Duration::from_secs(6);
    let started = Instant::now();
    let mut floods = Vec::new();
    for worker in 0..8usize {
        let replicas = replicas.clone();
        let flood = flood.clone();
        floods.push(tokio::spawn(async move {
            let client = client();
            let (mut accepted, mut refused, mut sent) = (0u64, 0u64, 0usize);
            while started.elapsed() < window {
                let replica = &replicas[(worker + sent) % 2];
                sent += 1;
                match tax_check(&client, replica, &flood).await.status().as_u16() {
                    429 => refused += 1,
                    200 => accepted += 1,
                    other => panic!("unexpected status {other}"),
                }
            }
            (accepted, refused)
        }));
    }
    // Meanwhile another key, on both replicas, is never refused.
    let client = client();
    let mut calm_answers = 0;
    while started.elapsed() < window {
        for replica in replicas.iter() {
            let answer = tax_check(&client, replica, &calm).await;
            assert_eq!(answer.status(), 200, "the calm key is never limited");
            assert!(remaining(header(&answer, "ratelimit")) > 500);
            calm_answers += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut accepted, mut refused) = (0, 0);
    for flood in floods {
        let (a, r) = flood.await.unwrap();
        accepted += a;
        refused += r;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // One exact GCRA admits burst + rate · elapsed; the documented error across replicas is
    // within 10 % of it.
    let exact = 20.0 + 20.0 * elapsed;
    eprintln!(
        "{accepted} accepted, {refused} refused in {elapsed:.2} s; one exact GCRA: {exact:.1}"
    );
    assert!(
        (accepted as f64) <= exact * 1.10,
        "{accepted} accepted in {elapsed:.2} s, limit {exact:.0} (+10 %); {refused} refused"
    );
    assert!(
        (accepted as f64) >= exact * 0.90,
        "{accepted} accepted in {elapsed:.2} s, limit {exact:.0} (−10 %); {refused} refused"
    );
    assert!(
        refused > 10 * accepted,
        "the flood was a flood: {refused} refused"
    );
    assert!(calm_answers >= 20);
    // Each refusal is counted under the key.
    let metrics = client
        .get(replicas[0].url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("originguard_rate_limited_total{key=\"flood#")),
        "{metrics}"
    );
    assert!(!metrics.contains("originguard_rate_limited_total{key=\"calm#"));
}

#[tokio::test]
async fn over_the_limit_the_answer_is_a_429_problem_with_retry_after_and_ratelimit() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (secret, stanza) = key(Role::Authority, "qltt", "rate_per_minute = 60\nburst = 2");
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(&keys_file, stanza).unwrap();
    let service = Replica::start(&redis, &keys_file, dir.path(), "one").await;
    let client = client();

    let first = tax_check(&client, &service, &secret).await;
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "ratelimit-policy"), "\"key\";q=2;w=2");
    assert_eq!(header(&first, "ratelimit"), "\"key\";r=1;t=1");
    let second = tax_check(&client, &service, &secret).await;
    assert_eq!(second.status(), 200);
    assert_eq!(remaining(header(&second, "ratelimit")), 0);

    let refused = client
        .get(service.url("/v1/tax-codes/0100109106"))
        .bearer_auth(&secret)
        .header("accept-language", "vi")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    let retry_after: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&refused, "ratelimit-policy"), "\"key\";q=2;w=2");
    assert_eq!(
        header(&refused, "ratelimit"),
        format!("\"key\";r=0;t={retry_after}")
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["status"], 429);
    assert_eq!(body["type"], "urn:originguard:problem:rate_limited");
    assert_eq!(body["title"], "Quá nhiều yêu cầu");
    assert!(body["detail"].as_str().unwrap().contains("giây"), "{body}");

    // After Retry-After, the key is admitted again.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_eq!(tax_check(&client, &service, &secret).await.status(), 200);
}

#[tokio::test]
async fn health_endpoints_are_never_limited() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (secret, stanza) = key(Role::Operator, "viettel", "rate_per_minute = 1\nburst = 1");
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(&keys_file, stanza).unwrap();
    let service = Replica::start(&redis, &keys_file, dir.path(), "one").await;
    let client = client();
    let spend = client
        .get(service.url("/v1/blocklist"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(spend.status(), 200);
    let over = client
        .get(service.url("/v1/blocklist"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 429);
    for _ in 0..20 {
        for path in ["/healthz", "/readyz", "/metrics"] {
            let answer = client
                .get(service.url(path))
                .bearer_auth(&secret)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200, "{path}");
            assert!(answer.headers().get("ratelimit").is_none(), "{path}");
        }
    }
}

#[tokio::test]
async fn batches_count_one_unit_per_hundred_lines() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (secret, stanza) = key(Role::Platform, "shop", "rate_per_minute = 6\nburst = 8");
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(&keys_file, stanza).unwrap();
    let service = Replica::start(&redis, &keys_file, dir.path(), "one").await;
    let client = client();
    let line = json!({"seller": {"tax_code": "0101248141"}, "product": {"code": "08935049500018", "claimed_origin": "VN"}});
    let batch = |lines: usize| format!("{line}\n").repeat(lines);
    let send = |body: String| {
        client
            .post(service.url("/v1/claims/verify-batch"))
            .bearer_auth(&secret)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
    };
    // 99 lines: the request alone (1 unit); 7 left.
    let small = send(batch(99)).await.unwrap();
    assert_eq!(small.status(), 200);
    assert_eq!(remaining(header(&small, "ratelimit")), 7);
    let _ = small.text().await.unwrap();
    // 450 lines: 1 + 4 units, the 4 charged as the body is read; 2 left afterwards.
    let large = send(batch(450)).await.unwrap();
    assert_eq!(large.status(), 200);
    let answers = large.text().await.unwrap();
    assert_eq!(answers.lines().count(), 450);
    let next = tax_check(&client, &service, &secret).await;
    assert_eq!(next.status(), 200);
    assert_eq!(remaining(header(&next, "ratelimit")), 1);
    // A batch larger than the whole burst is still served (its key goes into debt) …
    let huge = send(batch(1000)).await.unwrap();
    assert_eq!(huge.status(), 200);
    let _ = huge.text().await.unwrap();
    // … and the key then waits: 10 units of debt at 6 a minute.
    let after = tax_check(&client, &service, &secret).await;
    assert_eq!(after.status(), 429);
    let retry_after: u64 = header(&after, "retry-after").parse().unwrap();
    assert!(retry_after >= 90, "{retry_after}");
}

#[tokio::test]
async fn an_expired_key_is_refused_while_its_rotated_twin_works() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (old, old_stanza) = key(
        Role::Registry,
        "vnnic",
        "not_after = \"2020-01-01T00:00:00Z\"",
    );
    let soon = (chrono::Utc::now() + chrono::Duration::days(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (new, new_stanza) = key(Role::Registry, "vnnic", &format!("not_after = \"{soon}\""));
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(&keys_file, format!("{old_stanza}{new_stanza}")).unwrap();
    let service = Replica::start(&redis, &keys_file, dir.path(), "one").await;
    let client = client();
    let queue = |secret: String| {
        client
            .get(service.url("/v1/registry/requests"))
            .bearer_auth(secret)
            .send()
    };
    let refused = queue(old.clone()).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "www-authenticate"), "Bearer");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "key_expired");
    assert_eq!(queue(new).await.unwrap().status(), 200);
    // An unknown key is still plain `unauthorized`.
    let unknown: serde_json::Value = queue("og_nothing".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["code"], "unauthorized");
    // The twin expires within 14 days: the name is listed once.
    let metrics = client
        .get(service.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expiring: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("originguard_keys_expiring{"))
        .collect();
    assert_eq!(expiring.len(), 1, "{metrics}");
    assert!(expiring[0].starts_with("originguard_keys_expiring{name=\"vnnic\"} "));
    let seconds: f64 = expiring[0].rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        (2.9 * 86_400.0..=3.0 * 86_400.0).contains(&seconds),
        "{seconds}"
    );
}

#[tokio::test]
async fn a_keys_file_with_a_bad_not_after_or_a_negative_rate_keeps_the_previous_keys() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, first_stanza) = key(Role::Steward, "loader", "");
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(&keys_file, &first_stanza).unwrap();
    let service = Replica::start(&redis, &keys_file, dir.path(), "one").await;
    let client = client();
    let works = |secret: String| {
        let client = client.clone();
        let url = service.url("/v1/audit/verify");
        async move {
            client
                .get(url)
                .bearer_auth(secret)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // The steward may not read the audit: 403 proves the key is known, 401 that it is not.
    assert_eq!(works(first.clone()).await, 403);

    let (second, second_stanza) = key(Role::Steward, "loader-2", "");
    for (bad, why) in [
        ("not_after = \"30 June 2027\"", "not_after"),
        ("rate_per_minute = -5", "rate_per_minute"),
    ] {
        let (_, bad_stanza) = key(Role::Steward, "broken", bad);
        let seen = service.log_text().len();
        std::fs::write(&keys_file, format!("{second_stanza}{bad_stanza}")).unwrap();
        let logged = common::eventually(Duration::from_secs(10), || async {
            service.log_text()[seen..]
                .lines()
                .any(|l| l.contains("previous keys stay in force") && l.contains(why))
        })
        .await;
        assert!(logged, "the log says why: {}", service.log_text());
        assert_eq!(works(first.clone()).await, 403, "the previous key stays");
        assert_eq!(works(second.clone()).await, 401, "the new file is not used");
    }
    // A good file is taken at once.
    std::fs::write(&keys_file, &second_stanza).unwrap();
    assert!(
        common::eventually(Duration::from_secs(10), || async {
            works(second.clone()).await == 403
        })
        .await
    );
    assert_eq!(works(first).await, 401);
}

#[tokio::test]
async fn audit_entries_name_which_of_two_rotated_keys_was_used() {
    let redis = TestRedis::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (old, old_stanza) = key(Role::Steward, "loader", "");
    let (new, new_stanza) = key(Role::Steward, "loader", "");
    let (admin, admin_stanza) = key(Role::Admin, "root", "");
    let keys_file = dir.path().join("keys.toml");
    std::fs::write(
        &keys_file,
        format!("{old_stanza}{new_stanza}{admin_stanza}"),
    )
    .unwrap();
    let service = Replica::start(&redis, &keys_file, dir.path(), "one").await;
    let client = client();
    for secret in [&old, &new] {
        let load = client
            .put(service.url("/v1/reference/taxpayers"))
            .bearer_auth(secret)
            .header("content-type", "application/x-ndjson")
            .body("{\"tax_code\":\"0100109106\",\"name\":\"A\",\"status\":\"active\"}\n")
            .send()
            .await
            .unwrap();
        assert_eq!(load.status(), 200);
    }
    let page: serde_json::Value = client
        .get(service.url("/v1/audit"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{page}");
    let key_id = |stanza: &str| {
        stanza
            .split("sha256 = \"")
            .nth(1)
            .map(|rest| rest[..12].to_owned())
            .unwrap()
    };
    for (entry, stanza) in entries.iter().zip([&old_stanza, &new_stanza]) {
        assert_eq!(entry["actor"], "loader");
        assert_eq!(entry["key"], key_id(stanza), "{entry}");
    }
    let verified: serde_json::Value = client
        .get(service.url("/v1/audit/verify"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["valid"], true);
}

#[test]
fn keys_new_expires_in_writes_not_after() {
    let output = Command::new(env!("CARGO_BIN_EXE_originguard"))
        .args(["keys", "new", "--role", "platform", "--name", "shop"])
        .args(["--expires-in", "90d"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("not_after = "))
        .unwrap_or_else(|| panic!("no not_after in {text}"));
    let at = chrono::DateTime::parse_from_rfc3339(
        line.trim_start_matches("not_after = ").trim_matches('"'),
    )
    .unwrap();
    let days = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((89.9..=90.0).contains(&days), "{days}");
    let refused = Command::new(env!("CARGO_BIN_EXE_originguard"))
        .args(["keys", "new", "--role", "platform", "--name", "shop"])
        .args(["--expires-in", "3 weeks"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--expires-in"));
}
