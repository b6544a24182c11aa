//! A real headless Chromium for the console tests: Debian's `/usr/bin/chromedriver` on a free
//! loopback port, driven with `fantoccini`. Each page can be saved as a screenshot under
//! `target/console-screenshots/` (kept as a CI artifact) and checked with axe-core, read from
//! `target/npm/node_modules/axe-core/axe.min.js` (`./test` installs it there).

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use super::free_port;

/// Where the screenshots go.
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots")
}

/// The axe-core script, or a panic saying how to install it.
pub fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/npm/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}): run ./test, or `npm install --prefix target/npm axe-core@4`",
            path.display()
        )
    })
}

/// chromedriver and one browser session on it; both end when this is dropped.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub async fn start() -> Browser {
        let port = free_port();
        // Its own process group, so that dropping it ends Chromium too.
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("/usr/bin/chromedriver (apt-get install chromium-driver; ./test does)");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--window-size=1280,1400", "--lang=en-US",
                         "--disable-dev-shm-usage", "--no-proxy-server"]
            }),
        );
        // The WebDriver client's TLS stack (unused on loopback HTTP) needs a provider chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = String::new();
        // Ends chromedriver if no session comes up.
        let mut driver = DriverGuard(Some(driver));
        for _ in 0..100 {
            let mut builder = ClientBuilder::rustls().expect("rustls");
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(client) => {
                    let driver = driver.0.take().expect("driver");
                    return Browser { client, driver };
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session on {url}: {last}");
    }

    /// Goes to `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    /// The element at `css`.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Whether an element matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    /// The text content of the element at `css`, exactly (not the rendered text).
    pub async fn text_content(&self, css: &str) -> String {
        self.client
            .execute(
                "return document.querySelector(arguments[0]).textContent;",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Types `text` into the field at `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .expect("send_keys");
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clicks the element at `css` and waits until the next page has loaded.
    pub async fn submit(&self, css: &str) {
        self.client
            .execute("window.__og_previous_page = true;", vec![])
            .await
            .expect("mark page");
        self.click(css).await;
        for _ in 0..200 {
            let loaded = self
                .client
                .execute(
                    "return window.__og_previous_page === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if loaded == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css}: no new page loaded");
    }

    /// The current URL's path.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// Signs in at `base` with `key`.
    pub async fn sign_in(&self, base: &str, key: &str) {
        self.goto(&format!("{base}/console/sign-in")).await;
        self.fill("#key", key).await;
        self.submit("form[action='/console/sign-in'] button").await;
    }

    /// Saves a screenshot as `<name>.png` and asserts that axe-core finds no violation of
    /// serious or critical impact on the page.
    pub async fn check_page(&self, name: &str) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        let violations = self.axe().await;
        assert!(
            violations.is_empty(),
            "{name}: accessibility violations: {}",
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
    }

    /// axe-core's serious and critical violations on the page.
    pub async fn axe(&self) -> Vec<Value> {
        self.client
            .execute(&axe_source(), vec![])
            .await
            .expect("inject axe-core");
        let answer = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, {resultTypes: ['violations']})
                     .then(r => done(r.violations
                        .filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.map(n => n.target)}))))
                     .catch(e => done([{id: 'axe-error', help: String(e)}]));"#,
                vec![],
            )
            .await
            .expect("axe.run");
        answer.as_array().cloned().unwrap_or_default()
    }
}

impl Browser {
    /// Ends the browser session, then chromedriver.
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Kills chromedriver and the Chromium it started (they share a process group).
fn end_driver(driver: &mut Child) {
    if let Ok(pid) = i32::try_from(driver.id()) {
        // SAFETY: signals only the process group this helper started.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(driver) = self.0.as_mut() {
            end_driver(driver);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        end_driver(&mut self.driver);
    }
}
