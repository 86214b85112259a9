//! The MultiLine app shell: builds the Tauri app, boots the core (the embedded demo, or a
//! configured connector), and forwards the core's events to the webview. No business logic
//! lives here: commands are a few lines that call `multiline-client`.

mod boot;
mod camera;
mod commands;
mod engine;
mod events;
mod notify;

use tauri::Manager;

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
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                camera::enable(&window)?;
            }
            app.manage(boot::Core::default());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(boot::boot(handle));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::account_state,
            commands::sign_in,
            commands::sign_out,
            commands::get_session,
            commands::sync_state,
            commands::list_contacts,
            commands::get_contact,
            commands::create_contact,
            commands::update_contact,
            commands::delete_contact,
            commands::list_threads,
            commands::get_thread,
            commands::open_whatsapp_thread,
            commands::open_sms_thread,
            commands::mark_heard,
            commands::list_messages,
            commands::send_text,
            commands::list_templates,
            commands::preview_template,
            commands::send_template,
            commands::send_opt_in,
            commands::mark_read,
            commands::prepare_photo,
            commands::send_picture,
            commands::get_media,
            commands::list_colleagues,
            commands::change_participants,
        ])
        .run(tauri::generate_context!())
        .expect("the app runs");
}
