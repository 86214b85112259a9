//! Whether the system has an app for `tel:` links (the call icon, F3).
//!
//! The opener hands a link to the system and returns at once, whether or not anything takes
//! it; on Linux, `xdg-open` with no `tel:` handler fails in the background where nobody sees
//! it. So the app asks first: the desktop's default for `x-scheme-handler/tel`
//! (`xdg-mime`). macOS has FaceTime and Windows Phone Link for `tel:`, always there.

/// Is a `tel:` handler registered?
#[cfg(target_os = "linux")]
pub async fn registered() -> bool {
    let query = tauri::async_runtime::spawn_blocking(|| {
        std::process::Command::new("xdg-mime")
            .args(["query", "default", "x-scheme-handler/tel"])
            .output()
    })
    .await;
    match query.map_err(std::io::Error::other).and_then(|r| r) {
        Ok(output) => output.status.success() && !output.stdout.trim_ascii().is_empty(),
        Err(error) => {
            tracing::info!(%error, "xdg-mime could not be asked for a tel: handler");
            false
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub async fn registered() -> bool {
    true
}
