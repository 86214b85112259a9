//! Each flow, in the real app (test names start with `e2e::`, so that `make test` can run
//! them apart: they need the built app and a display).

mod account;
mod balanced;
mod calls_and_links;
mod camera;
mod channels;
mod contacts;
mod engine;
mod every_kind;
mod group_thread;
mod group_transfer;
mod guest_phone;
mod installed;
mod meta_sends;
mod opt_in_and_templates;
mod pictures;
mod screens;
mod search;
mod walking_skeleton;
mod whatsapp_disabled;
mod window_expiry;
