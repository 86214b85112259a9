//! The store holds every message and every line's credentials: on disk it is the owner's
//! alone.

#[cfg(unix)]
#[tokio::test]
async fn the_store_and_its_folder_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let h = crate::support::Harness::start().await;
    let store = h.dir.path().join("connector.sqlite3");
    h.send_text(&h.ana_thread().await, "written to the store")
        .await;
    assert_eq!(mode(h.dir.path()), 0o700);
    assert_eq!(mode(&store), 0o600);
    let wal = h.dir.path().join("connector.sqlite3-wal");
    assert!(wal.exists(), "the store writes ahead");
    assert_eq!(mode(&wal), 0o600);
}

#[cfg(unix)]
#[test]
fn a_store_left_readable_by_others_is_made_private_when_opened() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = multiline_connector::admin::open_store(&data).unwrap();
    drop(store);
    let path = multiline_connector::admin::store_path(&data);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(multiline_connector::admin::open_store(&data).unwrap());
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&path), 0o600);
}
