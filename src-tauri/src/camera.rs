//! The camera (F16) in the webview. WebKitGTK keeps `getUserMedia` off unless the
//! `enable-media-stream` setting is on, and denies a permission request nobody answers; the
//! app's only page is its own UI, so a request for the camera alone is granted (the user
//! asked for it by choosing Camera). The microphone is never granted.
//!
//! `MULTILINE_MOCK_CAMERA=1` (tests): WebKit's mock capture device, a synthetic video
//! stream, stands in for a camera where there is none (Xvfb).

#[cfg(target_os = "linux")]
pub fn enable(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    let mock = std::env::var_os("MULTILINE_MOCK_CAMERA").is_some_and(|v| v == "1");
    window.with_webview(move |webview| {
        use webkit2gtk::glib::object::Cast;
        use webkit2gtk::{
            PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
            UserMediaPermissionRequestExt, WebViewExt,
        };
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
        }
        view.connect_permission_request(|_, request| {
            let Some(media) = request.downcast_ref::<UserMediaPermissionRequest>() else {
                return false;
            };
            if media.is_for_video_device() && !media.is_for_audio_device() {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    })
}

#[cfg(not(target_os = "linux"))]
pub fn enable(_window: &tauri::WebviewWindow) -> tauri::Result<()> {
    // macOS and Windows webviews ask the OS, which asks the user.
    Ok(())
}
