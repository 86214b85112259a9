//! The connector's integration tests, as one test binary (one link of the dependency graph
//! instead of one per file): scenarios feature by feature over HTTP and the WebSocket, faults
//! from the simulator, the carrier (SMS, voicemail), malformed input, the admin CLI, the
//! OpenAPI document, the store conformance suite on SQLite and PostgreSQL, and scenarios
//! again on PostgreSQL.

mod support;

mod api_version;
mod app_versions;
mod carrier;
mod cli;
mod cloud_api;
mod error_table;
mod instances;
mod late_failures;
mod malformed;
mod meta_scenarios;
mod on_postgres;
mod openapi;
mod operations;
mod reliability;
mod scenarios;
mod security;
mod store_conformance;
mod three_instances;
mod usecases;
