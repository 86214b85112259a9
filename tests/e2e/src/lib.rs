//! The harness of the end-to-end tests: launches the built app through tauri-driver (which
//! drives WebKitWebDriver) with a private data folder, gives the tests a WebDriver session, the
//! UI's test ids, and the Cloud API simulator's control API to play the guests.
//!
//! Needs: a display (the Makefile runs the tests under Xvfb), `tauri-driver` and
//! `WebKitWebDriver` on PATH, and the app built with the bundled UI. `MULTILINE_APP_BIN`
//! names the binary (default: `target/debug/multiline`).

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `data-testid` values, from the one file the UI uses too.
pub struct TestIds(HashMap<String, String>);

impl TestIds {
    pub fn load() -> TestIds {
        let path = root().join("ui/src/lib/testids.json");
        let text = std::fs::read_to_string(&path).expect("ui/src/lib/testids.json");
        TestIds(serde_json::from_str(&text).expect("testids.json is a flat object"))
    }

    /// A CSS selector for the element with test id `key` (e.g. "contactRow").
    pub fn css(&self, key: &str) -> String {
        let id = self
            .0
            .get(key)
            .unwrap_or_else(|| panic!("no test id {key:?}"));
        format!("[data-testid='{id}']")
    }

    pub fn id(&self, key: &str) -> &str {
        self.0
            .get(key)
            .unwrap_or_else(|| panic!("no test id {key:?}"))
    }
}

/// Writes an executable shell script `name` into `dir` (a stand-in for a system tool the app
/// runs, put first on its PATH with [`path_with`]); answers its path.
pub fn stand_in(dir: &Path, name: &str, body: &str) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

/// This process's PATH with `dir` first: for the app, so that it finds stand-ins there.
pub fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The variable `name` in the environment process `pid` was started with (as its last
/// `exec` gave it); `None` if absent or not readable.
pub fn environ_var(pid: u32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ.split(|b| *b == 0).find_map(|entry| {
        entry
            .strip_prefix(name.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"="))
            .map(|value| String::from_utf8_lossy(value).into_owned())
    })
}

/// The app's process using `data_dir` and every process below it (WebKit's web and network
/// processes).
pub fn app_processes(data_dir: &Path) -> anyhow::Result<(u32, Vec<u32>)> {
    let marker = data_dir.display().to_string();
    let mut parents = HashMap::new();
    let mut root = None;
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: the fields after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parents.insert(pid, ppid);
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        let is_app = exe.file_name().is_some_and(|n| n == "multiline")
            && environ_var(pid, "MULTILINE_DATA_DIR").is_some_and(|dir| dir == marker);
        if is_app {
            root = Some(pid);
        }
    }
    let root = root.context("the app's process")?;
    let below = |pid: u32| {
        let mut p = pid;
        for _ in 0..64 {
            if p == root {
                return true;
            }
            match parents.get(&p) {
                Some(&parent) if parent != 0 => p = parent,
                _ => return false,
            }
        }
        false
    };
    let all = parents.keys().copied().filter(|&p| below(p)).collect();
    Ok((root, all))
}

/// A running app under WebDriver, with its own data folder and simulator.
pub struct App {
    pub driver: Client,
    pub ids: TestIds,
    pub sim: SimControl,
    tauri_driver: Child,
    /// The app's data folder (a temp dir removed with the `App`, unless given to it).
    pub data_dir: PathBuf,
    _data: Option<tempfile::TempDir>,
}

/// Launches the app, runs `scenario` against it, saves `target/e2e/failure-<name>.png` if it
/// fails, and closes the app.
pub async fn run(
    name: &str,
    scenario: impl AsyncFnOnce(&App) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    run_with(name, &[], scenario).await
}

/// [`run`], with extra environment for the app (`MULTILINE_DEMO_WHATSAPP=off`, ...).
pub async fn run_with(
    name: &str,
    env: &[(&str, &str)],
    scenario: impl AsyncFnOnce(&App) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let app = App::launch_with(env).await?;
    let result = scenario(&app).await;
    if result.is_err()
        && let Err(error) = app.screenshot(&format!("failure-{name}")).await
    {
        eprintln!("no failure screenshot: {error:#}");
    }
    app.close().await?;
    result
}

impl App {
    pub async fn launch() -> anyhow::Result<App> {
        Self::launch_with(&[]).await
    }

    /// Launches the app with extra environment variables.
    pub async fn launch_with(env: &[(&str, &str)]) -> anyhow::Result<App> {
        let data = tempfile::tempdir()?;
        let dir = data.path().to_owned();
        Self::launch_in(&dir, Some(data), env).await
    }

    /// Launches the app on the data folder `dir` (kept when `owned` is `None`: benchmarks
    /// launch the same data again).
    pub async fn launch_in(
        dir: &Path,
        owned: Option<tempfile::TempDir>,
        env: &[(&str, &str)],
    ) -> anyhow::Result<App> {
        let bin = std::env::var_os("MULTILINE_APP_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target/debug/multiline"));
        if !bin.exists() {
            bail!(
                "the app binary {} is missing: build it first (make e2e does)",
                bin.display()
            );
        }
        // The ports are free when chosen, not reserved: another process may take one
        // before tauri-driver or its WebKitWebDriver listens on it (seen once: "Unable to
        // listen for HTTP server"). Such a launch is made again on other ports.
        let mut attempt = 0;
        let (driver, tauri_driver, sim_port, sim_token) = loop {
            attempt += 1;
            match Self::launch_once(dir, &bin, env).await {
                Ok(launched) => break launched,
                Err(error) if attempt < 3 => {
                    eprintln!("launching the app failed ({error:#}); again on other ports");
                }
                Err(error) => return Err(error),
            }
        };
        Ok(App {
            driver,
            ids: TestIds::load(),
            sim: SimControl::new(format!("http://127.0.0.1:{sim_port}"), sim_token),
            tauri_driver,
            data_dir: dir.to_owned(),
            _data: owned,
        })
    }

    /// One launch: tauri-driver on ports free now, and a WebDriver session on the app.
    async fn launch_once(
        dir: &Path,
        bin: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(Client, Child, u16, String)> {
        let sim_port = free_port();
        let sim_token = format!("e2e-{}-{sim_port}", std::process::id());
        let port = free_port();
        let native_port = free_port();
        let tauri_driver = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("MULTILINE_DATA_DIR", dir)
            .env("MULTILINE_DEMO_SIM_ADDR", format!("127.0.0.1:{sim_port}"))
            .env("MULTILINE_DEMO_SIM_TOKEN", &sim_token)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting tauri-driver (is it installed? make setup)")?;
        // Killed if the launch fails from here on.
        let mut tauri_driver = KillOnDrop(Some(tauri_driver));
        let url = format!("http://127.0.0.1:{port}");
        wait_for_port(port, Duration::from_secs(20)).await?;
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": bin }));
        let driver = within(
            Duration::from_secs(60),
            "a WebDriver session on the app",
            async {
                // tauri-driver listens before its WebKitWebDriver does: a session request can
                // find nobody behind it for a moment. Only such connection-level failures are
                // retried; a refusal from the driver is final.
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    // Plain HTTP on loopback: no TLS stack needed.
                    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                    let mut builder = ClientBuilder::new(connector);
                    builder.capabilities(caps.clone());
                    match builder.connect(&url).await {
                        Ok(driver) => return Ok(driver),
                        Err(
                            fantoccini::error::NewSessionError::FailedC(_)
                            | fantoccini::error::NewSessionError::Failed(_)
                            | fantoccini::error::NewSessionError::Lost(_),
                        ) if attempt < 20 => {
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                        Err(e) => {
                            return Err(anyhow::Error::new(e)
                                .context("opening a WebDriver session on the app"));
                        }
                    }
                }
            },
        )
        .await?;
        let tauri_driver = tauri_driver.0.take().expect("still owned");
        Ok((driver, tauri_driver, sim_port, sim_token))
    }

    /// Runs `f` (a polling loop) for at most [`WAIT`]. On a timeout the error carries what
    /// the app showed then: a screenshot (`target/e2e/timeout-<what>.png`) and the page's text,
    /// so that a wait that failed once on a loaded machine can be understood afterwards.
    async fn waiting<T>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        if let Ok(result) = tokio::time::timeout(WAIT, f).await {
            return result;
        }
        let name: String = format!("timeout-{what}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(80)
            .collect();
        let looked = async {
            let shot = match self.screenshot(&name).await {
                Ok(path) => path.display().to_string(),
                Err(e) => format!("(no screenshot: {e})"),
            };
            let text = match self
                .driver
                .execute(
                    "return document.body ? document.body.innerText : '';",
                    vec![],
                )
                .await
            {
                Ok(text) => text
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(2_000)
                    .collect(),
                Err(e) => format!("(no page text: {e})"),
            };
            (shot, text)
        };
        let (shot, text) = tokio::time::timeout(Duration::from_secs(10), looked)
            .await
            .unwrap_or_else(|_| ("(the app did not answer)".into(), String::new()));
        bail!("timed out: {what}; the app then: {shot}\n--- its text ---\n{text}")
    }

    /// Waits for the element with test id `key` and returns it.
    pub async fn wait_for(&self, key: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.wait_for_css(&self.ids.css(key)).await
    }

    /// Waits for an element matching `css`. A lookup that meets a page being reloaded (signing
    /// out reloads the app) is asked again on the new page.
    pub async fn wait_for_css(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.waiting(&format!("waiting for {css}"), async {
            loop {
                match self.driver.find(Locator::Css(css)).await {
                    Ok(element) => return Ok(element),
                    Err(e) if replaced(&e) || unloading(&e) => tokio::time::sleep(POLL).await,
                    Err(e) => {
                        return Err(anyhow::Error::new(e).context(format!("waiting for {css}")));
                    }
                }
            }
        })
        .await
    }

    /// Waits until some element matching `css` has `text` in its text content.
    ///
    /// Matches on `textContent` through a script: WebKitWebDriver's "element text" returns
    /// only part of a row's rendered text (seen: "AS" for a contact row).
    pub async fn wait_for_text(
        &self,
        css: &str,
        text: &str,
    ) -> anyhow::Result<fantoccini::elements::Element> {
        let script = "return Array.from(document.querySelectorAll(arguments[0]))\
                      .findIndex(e => e.textContent.includes(arguments[1]));";
        self.waiting(&format!("a {css} with text {text:?}"), async {
            loop {
                let index = self
                    .driver
                    .execute(script, vec![json!(css), json!(text)])
                    .await?;
                if let Some(index) = index.as_i64().filter(|i| *i >= 0) {
                    let all = self.driver.find_all(Locator::Css(css)).await?;
                    if let Some(el) = all.into_iter().nth(index as usize) {
                        return Ok(el);
                    }
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
    }

    /// Clicks the element matching `css` whose text contains `text`, once it is there. A list
    /// that re-renders between finding and clicking (a live update) is retried, not failed.
    pub async fn click_text(&self, css: &str, text: &str) -> anyhow::Result<()> {
        self.waiting(&format!("clicking a {css} with text {text:?}"), async {
            loop {
                let element = self.wait_for_text(css, text).await?;
                match element.click().await {
                    Err(e) if replaced(&e) => tokio::time::sleep(POLL).await,
                    // The click reloaded the page before WebDriver answered: it was done.
                    Err(e) if unloading(&e) => return Ok(()),
                    other => return Ok(other?),
                }
            }
        })
        .await
    }

    /// Clicks the element with test id `key`, once it is there (retried if the view
    /// re-renders it between finding and clicking).
    pub async fn click(&self, key: &str) -> anyhow::Result<()> {
        self.click_css(&self.ids.css(key)).await
    }

    pub async fn click_css(&self, css: &str) -> anyhow::Result<()> {
        self.waiting(&format!("clicking {css}"), async {
            loop {
                let element = self.wait_for_css(css).await?;
                match element.click().await {
                    Err(e) if replaced(&e) => tokio::time::sleep(POLL).await,
                    // The click reloaded the page before WebDriver answered: it was done.
                    Err(e) if unloading(&e) => return Ok(()),
                    other => return Ok(other?),
                }
            }
        })
        .await
    }

    /// The text content of every element matching `css` now, in document order.
    pub async fn texts(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let script = "return Array.from(document.querySelectorAll(arguments[0]))\
                      .map(e => e.textContent);";
        let texts = self.driver.execute(script, vec![json!(css)]).await?;
        Ok(serde_json::from_value(texts)?)
    }

    /// How many elements match `css` now, counted in the page.
    pub async fn count(&self, css: &str) -> anyhow::Result<u64> {
        let script = "return document.querySelectorAll(arguments[0]).length;";
        let n = self.driver.execute(script, vec![json!(css)]).await?;
        n.as_u64().context("a count")
    }

    /// Starts recording, in the page, every value a `<progress>` matching `css` shows, under
    /// `name`: a MutationObserver keeps values too brief for polling to see. Read them with
    /// [`App::recorded`].
    pub async fn record_progress(&self, name: &str, css: &str) -> anyhow::Result<()> {
        let script = r#"
            const [name, css] = arguments;
            const seen = (window.__recorded ??= {})[name] = [];
            const look = () => {
                for (const bar of document.querySelectorAll(css)) {
                    const value = Number(bar.getAttribute("value") ?? bar.value);
                    if (seen[seen.length - 1] !== value) seen.push(value);
                }
            };
            new MutationObserver(look).observe(document.body, {
                subtree: true, childList: true, attributes: true, attributeFilter: ["value"],
            });
            look();
        "#;
        self.driver
            .execute(script, vec![json!(name), json!(css)])
            .await?;
        Ok(())
    }

    /// The values recorded under `name` by [`App::record_progress`], in the order shown.
    pub async fn recorded(&self, name: &str) -> anyhow::Result<Vec<f64>> {
        let script = "return (window.__recorded ?? {})[arguments[0]] ?? [];";
        let values = self.driver.execute(script, vec![json!(name)]).await?;
        Ok(serde_json::from_value(values)?)
    }

    /// Waits until no element matches `css` (counted in the page: no element handles that a
    /// re-render could invalidate).
    pub async fn wait_gone(&self, css: &str) -> anyhow::Result<()> {
        self.waiting(&format!("no more {css}"), async {
            while self.count(css).await? != 0 {
                tokio::time::sleep(POLL).await;
            }
            Ok(())
        })
        .await
    }

    /// Saves a screenshot of the app window as `target/e2e/<name>.png`.
    ///
    /// WebKitWebDriver's screenshot command never answers under Xvfb here (seen with
    /// WebKitGTK 2.50, with and without compositing), so the X screen is captured with
    /// ImageMagick's `import` and cropped to the window's rectangle.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = root().join("target/e2e");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        let (x, y, w, h) = self.driver.get_window_rect().await?;
        // Let the last change paint before capturing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let status = Command::new("import")
            .args([
                "-window",
                "root",
                "-crop",
                &format!("{w}x{h}+{x}+{y}"),
                "+repage",
            ])
            .arg(&path)
            .status()
            .context("running ImageMagick's import (make setup installs it)")?;
        if !status.success() {
            bail!("import failed: {status}");
        }
        Ok(path)
    }

    /// Waits until the camera dialog's preview shows frames (the mock device is streaming).
    pub async fn wait_camera_streaming(&self) -> anyhow::Result<()> {
        let script = "const v = document.querySelector(arguments[0]); \
                      return !!v && v.videoWidth > 0 && !v.paused;";
        let css = self.ids.css("cameraPreview");
        self.waiting("the camera preview showing frames", async {
            while self.driver.execute(script, vec![json!(css)]).await? != json!(true) {
                tokio::time::sleep(POLL).await;
            }
            Ok(())
        })
        .await
    }

    /// Signs out (Settings, confirmed) and signs in again as the demo user `name` ("Sam
    /// Rivera"), picked from the sign-in screen's demo accounts; ends on the Messages tab
    /// (which may have no conversation for that user).
    pub async fn switch_user(&self, name: &str) -> anyhow::Result<()> {
        self.click("navSettings").await?;
        self.click("signOut").await?;
        self.click("signOutConfirm").await?;
        self.wait_for("signIn").await?;
        self.click_css(&format!("button[aria-label='Use {name}']"))
            .await?;
        self.click("signInSubmit").await?;
        self.click("navSettings").await?;
        self.wait_for_text(&self.ids.css("settingsUserName"), name)
            .await?;
        self.click("navMessages").await?;
        Ok(())
    }

    /// Runs axe-core (ui/node_modules/axe-core, WCAG 2 A and AA rules) on the page as it is
    /// now and fails on any serious or critical violation, naming each with its elements.
    pub async fn check_accessibility(&self, screen: &str) -> anyhow::Result<()> {
        let axe_path = root().join("ui/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&axe_path)
            .with_context(|| format!("reading {} (npm ci installs it)", axe_path.display()))?;
        let loaded = self
            .driver
            .execute("return typeof window.axe !== 'undefined';", vec![])
            .await?;
        if loaded != json!(true) {
            self.driver.execute(&axe, vec![]).await?;
        }
        let script = "const done = arguments[arguments.length - 1];\
            window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
              .then(r => done(r.violations\
                .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                .map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                             nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))\
              .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));";
        let violations = self.driver.execute_async(script, vec![]).await?;
        let list = violations.as_array().cloned().unwrap_or_default();
        if !list.is_empty() {
            bail!(
                "accessibility violations on {screen}:\n{}",
                serde_json::to_string_pretty(&list)?
            );
        }
        Ok(())
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        let result = self.driver.clone().close().await;
        let _ = self.tauri_driver.kill();
        let _ = self.tauri_driver.wait();
        result.map_err(Into::into)
    }
}

/// Whether a WebDriver error means the element was re-rendered away between finding and
/// using it (retry), rather than a real failure.
/// WebKitWebDriver's answer to a command the page's unload cut short ("Callback was not
/// called before the unload event"): the page is being replaced (a reload on sign-out).
fn unloading(error: &fantoccini::error::CmdError) -> bool {
    match error {
        fantoccini::error::CmdError::Standard(e) => e.message.contains("before the unload event"),
        _ => false,
    }
}

fn replaced(error: &fantoccini::error::CmdError) -> bool {
    match error {
        fantoccini::error::CmdError::Standard(e) => {
            matches!(
                e.error,
                fantoccini::error::ErrorStatus::StaleElementReference
                    | fantoccini::error::ErrorStatus::NoSuchElement
            ) || e.message.contains("was not found")
        }
        _ => false,
    }
}

/// A child process killed when dropped (a launch that fails halfway leaves nothing behind).
pub struct KillOnDrop(pub Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.tauri_driver.kill();
    }
}

/// How long the tests wait for the app to show something.
pub const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

/// Runs `f` (a polling loop) for at most `limit`; `what` names what was awaited.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, f).await {
        Ok(result) => result,
        Err(_) => bail!("timed out waiting for {what}"),
    }
}

/// The GTK save dialog ("Save as", the app's title for it): focused, its name field given the
/// whole path, Enter.
pub async fn answer_save_dialog(path: &Path) -> anyhow::Result<()> {
    let xdotool = |args: &[&str]| {
        std::process::Command::new("xdotool")
            .args(args)
            .output()
            .context("running xdotool (make setup installs it)")
    };
    let window = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let out = xdotool(&["search", "--onlyvisible", "--name", "^Save as$"])?;
            if let Some(id) = String::from_utf8_lossy(&out.stdout).lines().next() {
                return anyhow::Ok(id.to_owned());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .context("the save dialog opened")??;
    let typed = path.display().to_string();
    for args in [
        vec!["windowfocus", "--sync", window.as_str()],
        vec!["key", "--clearmodifiers", "ctrl+a"],
        vec!["type", "--delay", "5", typed.as_str()],
        vec!["key", "Return"],
    ] {
        let out = xdotool(&args)?;
        if !out.status.success() {
            bail!("xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    Ok(())
}

/// Waits until something listens on `port` on loopback.
pub async fn wait_for_port(port: u16, limit: Duration) -> anyhow::Result<()> {
    within(limit, &format!("a listener on port {port}"), async {
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    })
    .await
}

/// Ok when the simulator's control API accepted the request, else its words.
async fn accepted(response: reqwest::Response) -> anyhow::Result<()> {
    if !response.status().is_success() {
        bail!("the simulator refused: {}", response.text().await?);
    }
    Ok(())
}

/// The simulator's control API: play the guests.
pub struct SimControl {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl SimControl {
    /// The control API of a simulator at `base` (`http://127.0.0.1:8090`), every request
    /// carrying the run's `token`.
    pub fn new(base: String, token: String) -> SimControl {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "x-sim-token",
            reqwest::header::HeaderValue::from_str(&token).expect("a token is ASCII"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("an HTTP client");
        SimControl { base, http, token }
    }

    /// The simulator's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The guest phone's page, with the run's control token in its fragment.
    pub fn guest_url(&self) -> String {
        format!("{}/guest#token={}", self.base, self.token)
    }

    /// The guest with `wa_id` writes `text` to the business.
    pub async fn guest_sends(&self, wa_id: &str, text: &str) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/control/guests/{wa_id}/send", self.base))
            .json(&json!({ "text": text }))
            .send()
            .await?;
        accepted(response).await
    }

    /// The guest with `wa_id` sends any kind of message (`{"kind": "voice"}`,
    /// `{"kind": "location", ...}`: the simulator's `GuestMessage`). Returns its wamid.
    pub async fn guest_sends_kind(&self, wa_id: &str, message: Value) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/control/guests/{wa_id}/message", self.base))
            .json(&message)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!(
                "the simulator refused {message}: {}",
                response.text().await?
            );
        }
        let answer: Value = response.json().await?;
        Ok(answer["wamid"].as_str().unwrap_or_default().to_owned())
    }

    /// The guest with `wa_id` sends a picture (JPEG or PNG bytes) with a caption.
    pub async fn guest_sends_picture(
        &self,
        wa_id: &str,
        bytes: Vec<u8>,
        mime: &str,
        caption: &str,
    ) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/control/guests/{wa_id}/image", self.base))
            .query(&[("caption", caption)])
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await?;
        accepted(response).await
    }

    /// Moves the demo's clock (connector, simulator and app share it) forward.
    pub async fn advance_clock(&self, by: Duration) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/control/clock/advance", self.base))
            .json(&json!({ "seconds": by.as_secs() }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!(
                "the simulator refused to move the clock: {}",
                response.text().await?
            );
        }
        Ok(())
    }

    /// The bytes of a picture the business uploaded (its media id), as the guest's phone
    /// gets them.
    pub async fn media(&self, id: &str) -> anyhow::Result<Vec<u8>> {
        let response = self
            .http
            .get(format!("{}/control/media/{id}", self.base))
            .send()
            .await?
            .error_for_status()?;
        Ok(response.bytes().await?.to_vec())
    }

    /// What the guest received, oldest first.
    pub async fn received(&self, wa_id: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .http
            .get(format!("{}/control/guests/{wa_id}/received", self.base))
            .send()
            .await?
            .json()
            .await?)
    }

    /// `/control/{kind}/{phone}{rest}`: the simulator's Twilio side names phones in E.164,
    /// its `+` escaped in the path.
    fn phone_url(&self, kind: &str, phone: &str, rest: &str) -> String {
        format!(
            "{}/control/{kind}/{}{rest}",
            self.base,
            phone.replace('+', "%2B")
        )
    }

    /// The phone `from` (E.164) texts the business's number (F22, the simulator as Twilio).
    pub async fn guest_texts(&self, from: &str, text: &str) -> anyhow::Result<()> {
        let url = self.phone_url("sms", from, "");
        let response = self
            .http
            .post(url)
            .json(&json!({ "text": text }))
            .send()
            .await?;
        accepted(response).await
    }

    /// The phone `from` texts a picture (MMS: PNG or JPEG bytes) with `caption`.
    pub async fn guest_texts_picture(
        &self,
        from: &str,
        bytes: Vec<u8>,
        mime: &str,
        caption: &str,
    ) -> anyhow::Result<()> {
        let url = self.phone_url("sms", from, "/picture");
        let response = self
            .http
            .post(url)
            .query(&[("caption", caption)])
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await?;
        accepted(response).await
    }

    /// The phone `from` calls the business and leaves a `seconds`-long voicemail, which the
    /// carrier's transcription reads as `transcript`.
    pub async fn guest_leaves_voicemail(
        &self,
        from: &str,
        seconds: u32,
        transcript: &str,
    ) -> anyhow::Result<()> {
        let url = self.phone_url("voicemail", from, "");
        let response = self
            .http
            .post(url)
            .json(&json!({ "seconds": seconds, "transcript": transcript }))
            .send()
            .await?;
        accepted(response).await
    }

    /// Waits until the phone `to` (E.164) has received a text `body` by SMS.
    pub async fn wait_texted(&self, to: &str, body: &str) -> anyhow::Result<Value> {
        let url = self.phone_url("sms", to, "");
        within(WAIT, &format!("{to} to receive the text {body:?}"), async {
            loop {
                let texts: Vec<Value> = self.http.get(&url).send().await?.json().await?;
                if let Some(t) = texts.into_iter().find(|t| t["body"] == body) {
                    return Ok(t);
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
    }

    /// Any call of the simulator's control API, its JSON answer discarded.
    pub async fn control(&self, path: &str, body: Value) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await?;
        accepted(response).await
    }

    /// Waits until the guest has received the template `name` (its `text` is the filled body,
    /// as the guest reads it).
    pub async fn wait_received_template(&self, wa_id: &str, name: &str) -> anyhow::Result<Value> {
        within(
            WAIT,
            &format!("guest {wa_id} to receive the template {name}"),
            async {
                loop {
                    let received = self.received(wa_id).await?;
                    if let Some(m) = received
                        .into_iter()
                        .find(|m| m["request"]["template"]["name"] == name)
                    {
                        return Ok(m);
                    }
                    tokio::time::sleep(POLL).await;
                }
            },
        )
        .await
    }

    /// Waits until the guest has received a message with `text`.
    pub async fn wait_received(&self, wa_id: &str, text: &str) -> anyhow::Result<Value> {
        within(WAIT, &format!("guest {wa_id} to receive {text:?}"), async {
            loop {
                let received = self.received(wa_id).await?;
                if let Some(m) = received.into_iter().find(|m| m["text"] == text) {
                    return Ok(m);
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
    }
}
