//! The rules of compliant WhatsApp messaging, and the types the connector and the app share.
//!
//! This crate is sans-IO: no network, no files, no async runtime, and no clock reads in any
//! rule. Every rule that depends on time takes `now` as a parameter; the one real clock
//! ([`time::SystemClock`]) lives here only so that the workspace has exactly one, and no rule
//! calls it.
//!
//! - [`ids`]: typed identifiers (`ThreadId`, `MessageId`, ...), never bare strings.
//! - [`phone`]: E.164 phone numbers and the Cloud API's `wa_id` form.
//! - [`consent`], [`window`], [`policy`]: who may be sent what, and when (PRODUCT.md F4-F9).
//! - [`api`]: the request, response and event types of the connector's `/v1` API.

pub mod api;
pub mod consent;
pub mod ids;
pub mod phone;
pub mod policy;
pub mod time;
pub mod window;
