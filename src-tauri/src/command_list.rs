// The app's Tauri commands: the one list. `build.rs` makes a permission of each
// (`allow-<name>`, granted in capabilities/main.json), `lib.rs` registers each handler
// (`commands::<name>`), and a test checks the capability and the UI's `commands.ts` against
// it. Adding a command means adding its name here and nowhere else in Rust.
//
// Read with `include!` by build.rs and lib.rs: `with_commands!(m)` calls the macro `m` with
// every name.
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            account_state,
            sign_in,
            sign_out,
            get_session,
            sync_state,
            list_contacts,
            get_contact,
            create_contact,
            update_contact,
            delete_contact,
            list_threads,
            get_thread,
            open_whatsapp_thread,
            clock_now,
            add_note,
            reply_from_thread,
            search_messages,
            whatsapp_standing,
            consent_record,
            save_text,
            notify,
            open_sms_thread,
            mark_heard,
            list_messages,
            send_text,
            list_templates,
            preview_template,
            send_template,
            send_opt_in,
            mark_read,
            prepare_photo,
            send_picture,
            get_media,
            open_media,
            save_media,
            open_url,
            dial,
            use_new_number,
            retry_message,
            send_by_sms,
            upload_header_picture,
            upload_header_document,
            prepare_document,
            send_document,
            list_colleagues,
            change_participants,
        }
    };
}
