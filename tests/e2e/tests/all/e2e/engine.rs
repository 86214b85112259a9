//! The app runs WebKit's JavaScript without the JIT (src-tauri/src/engine.rs): the app's
//! process replaced itself with `JSC_useJIT=0` set before WebKit started its web process,
//! which inherits it, and JavaScriptCore took it (the web process has no writable and
//! executable memory, where the JIT keeps its code); the UI works. A user's own
//! `JSC_useJIT=1` is kept, and then the JIT's memory is there: the check below can tell.

use multiline_e2e::{App, app_processes, environ_var};

#[tokio::test]
async fn the_web_process_runs_without_the_jit() -> anyhow::Result<()> {
    multiline_e2e::run("engine", async |app| {
        let web = web_processes(app).await?;
        for pid in web {
            assert_eq!(option(pid), Some("0".to_owned()), "web process {pid}");
            assert_eq!(writable_and_executable(pid)?, 0, "web process {pid}");
        }
        let (root, _) = app_processes(&app.data_dir)?;
        assert_eq!(option(root), Some("0".to_owned()), "the app's process");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_users_own_choice_of_jit_is_kept() -> anyhow::Result<()> {
    multiline_e2e::run_with("engine-jit", &[("JSC_useJIT", "1")], async |app| {
        for pid in web_processes(app).await? {
            assert_eq!(option(pid), Some("1".to_owned()), "web process {pid}");
            assert!(
                writable_and_executable(pid)? > 0,
                "web process {pid}: the JIT's code pool"
            );
        }
        Ok(())
    })
    .await
}

/// WebKit's web processes below the app, once the UI has drawn the demo's conversations.
async fn web_processes(app: &App) -> anyhow::Result<Vec<u32>> {
    app.wait_for_text(&app.ids.css("threadRow"), "Ana Silva")
        .await?;
    let (_, pids) = app_processes(&app.data_dir)?;
    let web: Vec<u32> = pids
        .into_iter()
        .filter(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.starts_with("WebKitWebProces"))
        })
        .collect();
    anyhow::ensure!(!web.is_empty(), "the app has no web process");
    Ok(web)
}

/// `JSC_useJIT` in the process's environment.
fn option(pid: u32) -> Option<String> {
    environ_var(pid, "JSC_useJIT")
}

/// How many of the process's mappings are writable and executable at once.
fn writable_and_executable(pid: u32) -> anyhow::Result<usize> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))?;
    Ok(maps
        .lines()
        .filter(|line| line.split_whitespace().nth(1) == Some("rwxp"))
        .count())
}
