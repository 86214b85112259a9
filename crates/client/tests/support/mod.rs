//! Shared by the cache tests and the cache benchmark.

pub mod fixtures;
