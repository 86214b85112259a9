//! The app core's integration tests, as one test binary: the core against the real connector
//! and simulator, the cache alone on real files, and the OS keychain (a real Secret Service
//! under `make test`).

mod support;

mod against_connector;
mod cache;
mod keychain;
mod same_refusals;
mod versions;
