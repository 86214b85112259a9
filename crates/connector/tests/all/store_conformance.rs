//! The store conformance suite (`multiline_connector::store::conformance`) on each backend,
//! from the same source: SQLite (a new file in a temp dir for each check) and PostgreSQL (a
//! new database for each check, in the cluster the test run started:
//! `scripts/with-postgres.sh`, as `make test` runs the tests).

mod sqlite {
    use multiline_connector::store::sqlite::SqliteStore;

    multiline_connector::store_conformance!(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("conformance.sqlite3")).expect("open store");
        (dir, store)
    });
}

mod postgres {
    use crate::support::TestDatabase;
    use multiline_connector::store::postgres::PgStore;
    use multiline_connector::store::secrets::Sealer;

    multiline_connector::store_conformance!(|| {
        let db = TestDatabase::new();
        let store = PgStore::connect(&db.url, Sealer::with_key(&[7; 32])).expect("connect");
        (db, store)
    });
}
