const COMMANDS: &[&str] = &[
    "account_state",
    "sign_in",
    "sign_out",
    "get_session",
    "sync_state",
    "list_contacts",
    "get_contact",
    "create_contact",
    "update_contact",
    "delete_contact",
    "list_threads",
    "get_thread",
    "open_whatsapp_thread",
    "open_sms_thread",
    "mark_heard",
    "list_messages",
    "send_text",
    "list_templates",
    "preview_template",
    "send_template",
    "send_opt_in",
    "mark_read",
    "prepare_photo",
    "send_picture",
    "get_media",
    "list_colleagues",
    "change_participants",
];

fn main() {
    // App commands go through the same permission system as plugins: each is allowed by name
    // in capabilities/main.json.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
