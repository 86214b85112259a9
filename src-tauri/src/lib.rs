//! The MultiLine app shell: builds the Tauri app, boots the core (the embedded demo, or a
//! configured connector), and forwards the core's events to the webview. No business logic
//! lives here: commands are a few lines that call `multiline-client`.

include!("command_list.rs");

mod boot;
mod camera;
mod commands;
mod demo;
mod dialer;
mod engine;
mod events;
mod notify;

use tauri::Manager;

/// Registers every command of the list with its handler in `commands`.
macro_rules! handler {
    ($($name:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$name),*]
    };
}

/// The commands' names, from the one list.
macro_rules! names {
    ($($name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

/// Every command the app registers, by name.
pub const COMMANDS: &[&str] = with_commands!(names);

pub fn run() {
    // First: it may replace the process (src-tauri/src/engine.rs).
    let engine = engine::configure();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    engine::report(&engine);
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                camera::enable(&window)?;
            }
            app.manage(boot::account(app.handle()));
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(boot::boot(handle));
            Ok(())
        })
        .invoke_handler(with_commands!(handler))
        .run(tauri::generate_context!())
        .expect("the app runs");
}

#[cfg(test)]
mod tests;
