//! `make bench` (UI): the real app under Xvfb, driven through WebDriver.
//!
//! - Launch to the thread list drawn, with 10,000 cached threads (target 1 s), beside the
//!   same launch with the demo's one thread (the reference, same run).
//! - Opening a thread of 5,000 messages (target 100 ms), beside opening a one-message thread.
//! - Resident memory of the whole app (its process and WebKit's processes) after opening 20
//!   threads (target 250 MB), beside the demo app after opening one.
//!
//! The app talks to a connector running as its own process (`multiline-demo`, as an
//! organization would run it), so the app's memory is the app's. The volume
//! (`--volume 10000,5000`) is added to that connector once and synced into the app's cache by
//! a first launch; the measured launches start from that cache. Medians of
//! `MULTILINE_BENCH_RUNS` launches (default 5).
#![allow(clippy::disallowed_methods)] // Instant::now: this is a benchmark.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use multiline_e2e::{App, app_processes};
use serde_json::json;

const THREADS: usize = 10_000;
/// The demo's own conversations: Ana on WhatsApp, Ben's SMS, David's voicemail.
const DEMO_THREADS: usize = 3;
const MESSAGES: usize = 5_000;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

fn runs() -> usize {
    std::env::var("MULTILINE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

/// How long the app sits idle before its settled memory is read.
const SETTLE_SECS: u64 = 10;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A connector demo in its own process, killed when dropped.
struct Connector {
    child: Child,
    url: String,
}

impl Drop for Connector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn connector(data: &Path, volume: Option<&str>) -> anyhow::Result<Connector> {
    let bin = std::env::var_os("MULTILINE_DEMO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| multiline_e2e::root().join("target/release/multiline-demo"));
    let (port, sim) = (free_port()?, free_port()?);
    let mut command = Command::new(&bin);
    command
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--sim-listen", &format!("127.0.0.1:{sim}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    if let Some(volume) = volume {
        command.args(["--volume", volume]);
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {} (make bench builds it)", bin.display()))?;
    let connector = Connector {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            bail!("the connector never listened");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(connector)
}

async fn run() -> anyhow::Result<()> {
    let volume = format!("{THREADS},{MESSAGES}");
    let base_dir = tempfile::tempdir()?;
    let big_dir = tempfile::tempdir()?;
    let t = Instant::now();
    let base_connector = connector(&base_dir.path().join("connector"), None).await?;
    let big_connector = connector(&big_dir.path().join("connector"), Some(&volume)).await?;
    let app_env = |c: &Connector| {
        vec![
            ("MULTILINE_CONNECTOR_URL", c.url.clone()),
            ("MULTILINE_EMAIL", "alex@northwind.example".to_owned()),
            ("MULTILINE_PASSWORD", "multiline-demo".to_owned()),
        ]
    };
    let (base_env, big_env) = (app_env(&base_connector), app_env(&big_connector));
    let base_env: Vec<(&str, &str)> = base_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let env: Vec<(&str, &str)> = big_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    eprintln!(
        "connectors up in {:.0} s (the volume added once)",
        t.elapsed().as_secs_f64()
    );

    // Prepare: each data folder launched once (the volume added and synced into the cache).
    eprintln!("preparing {THREADS} threads and a {MESSAGES}-message thread (once)...");
    let t = Instant::now();
    prepare(base_dir.path(), &base_env, DEMO_THREADS).await?;
    prepare(big_dir.path(), &env, THREADS + 1 + DEMO_THREADS).await?;
    eprintln!("prepared in {:.0} s", t.elapsed().as_secs_f64());

    let (mut launch_base, mut launch_big) = (Vec::new(), Vec::new());
    let (mut seen_base, mut seen_big) = (Vec::new(), Vec::new());
    let (mut open_short, mut open_long) = (Vec::new(), Vec::new());
    let (mut rss_base, mut rss_big) = (Vec::new(), Vec::new());
    let (mut listed_big, mut settled_big) = (Vec::new(), Vec::new());
    for i in 0..runs() {
        // The reference: the demo's own data.
        let app = App::launch_in(base_dir.path(), None, &base_env).await?;
        wait_rows(&app, DEMO_THREADS).await?;
        let (drawn, seen) = launch_ms(&app, base_dir.path()).await?;
        launch_base.push(drawn);
        seen_base.push(seen);
        open_row(&app, 0, "Is my car ready").await?;
        rss_base.push(memory_mb(base_dir.path())?);
        app.close().await?;

        // 10,000 threads in the cache.
        let app = App::launch_in(big_dir.path(), None, &env).await?;
        wait_rows(&app, THREADS).await?;
        let (drawn, seen) = launch_ms(&app, big_dir.path()).await?;
        launch_big.push(drawn);
        seen_big.push(seen);
        // What the list alone costs, before any thread is opened.
        listed_big.push(memory_mb(big_dir.path())?.0);
        for _ in 0..3 {
            open_long.push(open_row(&app, 0, &format!("Line {}", MESSAGES - 1)).await?);
            open_short.push(open_row(&app, 1, "is my order on its way").await?);
        }
        for row in 2..20 {
            open_row(&app, row, "is my order on its way").await?;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss_big.push(memory_mb(big_dir.path())?);
        // And once the app has sat idle: what it keeps (WebKit collects the garbage of the
        // list's and the threads' loading over the next seconds).
        tokio::time::sleep(Duration::from_secs(SETTLE_SECS)).await;
        settled_big.push(memory_mb(big_dir.path())?.0);
        app.close().await?;
        eprintln!(
            "run {}: launch {:.0} ms (demo) and {:.0} ms (10,000 threads); \
             seen by WebDriver at {:.0} and {:.0} ms",
            i + 1,
            launch_base[i],
            launch_big[i],
            seen_base[i],
            seen_big[i]
        );
    }

    let (lb, lg) = (median(launch_base), median(launch_big));
    let (os, ol) = (median(open_short), median(open_long));
    let pss = |v: &Vec<(f64, f64)>| median(v.iter().map(|m| m.0).collect());
    let rss = |v: &Vec<(f64, f64)>| median(v.iter().map(|m| m.1).collect());
    let (rb, rg) = (pss(&rss_base), pss(&rss_big));
    let listed = median(listed_big);
    let settled = median(settled_big);
    let (sb, sg) = (rss(&rss_base), rss(&rss_big));
    println!("UI (real app under Xvfb), medians of {} launches:", runs());
    println!(
        "  launch to the thread list drawn: {THREADS} cached threads {lg:.0} ms, \
         the demo's {DEMO_THREADS} threads {lb:.0} ms (ratio {:.2}; target 1000 ms)",
        lg / lb
    );
    println!(
        "  opening a thread: {MESSAGES} messages {ol:.1} ms, 1 message {os:.1} ms \
         (ratio {:.2}; target 100 ms)",
        ol / os
    );
    println!(
        "  memory of the whole app (PSS: the app and WebKit's processes, shared pages split): \
         after opening 20 threads of the big cache {rg:.0} MB, the demo after opening 1 \
         {rb:.0} MB (ratio {:.2}; target 250 MB); summed RSS {sg:.0} MB and {sb:.0} MB; \
         the big cache's list drawn, before opening any thread, {listed:.0} MB; \
         after opening 20 threads and {SETTLE_SECS} s idle {settled:.0} MB",
        rg / rb
    );
    Ok(())
}

/// The User Timing mark the UI makes once the whole thread list is read and drawn
/// (`LIST_DRAWN` in ui/src/lib/thread/threads.svelte.ts).
const LIST_DRAWN: &str = "thread-list-drawn";

/// Launch to the whole thread list drawn, in milliseconds, by the app's own clock: the
/// process's age less the time since the UI's [`LIST_DRAWN`] mark (made once the last page is
/// drawn). Also the process's age when WebDriver's poll first saw the list, which adds the
/// harness's delays (the WebDriver session is set up while the app starts).
async fn launch_ms(app: &App, data_dir: &Path) -> anyhow::Result<(f64, f64)> {
    let seen = uptime()?;
    let started = started_at(data_dir)?;
    let script = "const m = performance.getEntriesByName(arguments[0])[0]; \
                  return m ? Date.now() - (performance.timeOrigin + m.startTime) : null;";
    let before = uptime()?;
    let ago = app
        .driver
        .execute(script, vec![json!(LIST_DRAWN)])
        .await?
        .as_f64()
        .with_context(|| format!("the UI made no {LIST_DRAWN} mark"))?;
    // The page read its clock somewhere between these two readings of the uptime.
    let age = ((before + uptime()?) / 2.0 - started) * 1000.0;
    Ok((age - ago, (seen - started) * 1000.0))
}

/// Seconds since the machine booted.
fn uptime() -> anyhow::Result<f64> {
    std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .context("/proc/uptime")
}

/// When the app's process using `data_dir` started, in seconds since boot (the kernel's
/// start time, 10 ms resolution): without tauri-driver's own start.
fn started_at(data_dir: &Path) -> anyhow::Result<f64> {
    let (root, _) = app_processes(data_dir)?;
    let stat = std::fs::read_to_string(format!("/proc/{root}/stat"))?;
    let start_ticks: f64 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|v| v.parse().ok())
        .context("the process start time")?;
    // USER_HZ is 100 on Linux.
    Ok(start_ticks / 100.0)
}

/// Launches once on `dir` with `env` and waits until `rows` threads are listed (the first
/// sync has filled the cache), then closes.
async fn prepare(dir: &Path, env: &[(&str, &str)], rows: usize) -> anyhow::Result<()> {
    let app = App::launch_in(dir, None, env).await?;
    let script = "const l = document.querySelector(arguments[0]); \
                  return l ? Number(l.dataset.count) : 0;";
    let css = app.ids.css("threadList");
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let n = app.driver.execute(script, vec![json!(css)]).await?;
        if n.as_u64().unwrap_or(0) as usize >= rows {
            break;
        }
        if Instant::now() > deadline {
            bail!("the cache never reached {rows} threads (at {n})");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Let the sync finish writing before the app closes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.close().await
}

/// Waits until the thread list shows rows and counts at least `rows` threads.
async fn wait_rows(app: &App, rows: usize) -> anyhow::Result<()> {
    let script = "const l = document.querySelector(arguments[0]); \
                  return !!l && Number(l.dataset.count) >= arguments[2] \
                         && !!l.querySelector(arguments[1]);";
    let args = vec![
        json!(app.ids.css("threadList")),
        json!(app.ids.css("threadRow")),
        json!(rows),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.driver.execute(script, args.clone()).await? != json!(true) {
        if Instant::now() > deadline {
            bail!("the thread list never showed {rows} threads");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Clicks the `index`th row on screen and measures, in the page, until the thread's newest
/// message (with `text`) is drawn. Milliseconds.
async fn open_row(app: &App, index: usize, text: &str) -> anyhow::Result<f64> {
    let script = "const [rowCss, bubbleCss, index, text, done] = arguments; \
        const row = document.querySelectorAll(rowCss)[index]; \
        if (!row) { done(-1); return; } \
        const t0 = performance.now(); \
        row.click(); \
        const check = () => { \
          const bubbles = document.querySelectorAll(bubbleCss); \
          const last = bubbles[bubbles.length - 1]; \
          if (last && last.textContent.includes(text)) { \
            requestAnimationFrame(() => done(performance.now() - t0)); \
          } else { requestAnimationFrame(check); } \
        }; \
        check();";
    let ms = app
        .driver
        .execute_async(
            script,
            vec![
                json!(app.ids.css("threadRow")),
                json!(app.ids.css("messageBubble")),
                json!(index),
                json!(text),
            ],
        )
        .await
        .with_context(|| format!("opening row {index}"))?;
    let ms = ms.as_f64().unwrap_or(-1.0);
    if ms < 0.0 {
        bail!("no row {index} on screen");
    }
    Ok(ms)
}

/// The whole app's memory in MB: (PSS, summed RSS). PSS splits pages shared between
/// processes (WebKit's libraries are mapped in three of them), so it is what the app costs;
/// RSS counts shared pages once per process.
fn memory_mb(data_dir: &Path) -> anyhow::Result<(f64, f64)> {
    let (_, pids) = app_processes(data_dir)?;
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (mut pss, mut rss) = (0u64, 0u64);
    let mut parts = Vec::new();
    for pid in pids {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        parts.push(format!(
            "{} {} MB",
            comm.trim(),
            field(&rollup, "Pss:") / 1024
        ));
        pss += field(&rollup, "Pss:");
        rss += field(&rollup, "Rss:");
    }
    eprintln!("  PSS by process: {}", parts.join(", "));
    Ok((pss as f64 / 1024.0, rss as f64 / 1024.0))
}
