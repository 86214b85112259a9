//! The end-to-end tests, as one test binary: the built app under Xvfb, driven through
//! tauri-driver and WebKitWebDriver (`make e2e` runs them one at a time).

mod account;
mod camera;
mod channels;
mod contacts;
mod engine;
mod group_thread;
mod group_transfer;
mod guest_phone;
mod opt_in_and_templates;
mod pictures;
mod screens;
mod walking_skeleton;
mod whatsapp_disabled;
mod window_expiry;
