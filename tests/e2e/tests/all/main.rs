//! The end-to-end tests, as one test binary: the built app under Xvfb, driven through
//! tauri-driver and WebKitWebDriver (`make e2e` runs them one at a time).

mod e2e;
