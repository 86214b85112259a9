//! The store conformance suite (`multiline_connector::store::conformance`) on SQLite: a new
//! file in a temp dir for each check.

use multiline_connector::store::sqlite::SqliteStore;

multiline_connector::store_conformance!(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("conformance.sqlite3")).expect("open store");
    (dir, store)
});
