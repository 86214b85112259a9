//! The cache on a real SQLite file: paging, full-text search, and migrating a cache written
//! by an older version.

use crate::support::fixtures::{contact, message, thread};
use chrono::{Duration, TimeZone, Utc};
use multiline_client::cache::{Cache, MessageCursor, ThreadCursor};

fn at(minutes: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn open() -> (tempfile::TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.sqlite3")).unwrap();
    (dir, cache)
}

#[test]
fn the_thread_list_pages_most_recent_first_without_gaps_or_repeats() {
    let (_dir, cache) = open();
    let mut threads: Vec<_> = (0..25)
        .map(|i| thread(&format!("T{i}"), Some(at(i % 7))))
        .collect();
    threads.push(thread("never written", None));
    for t in &threads {
        cache.put_thread(t).unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = cache.threads_page(cursor.as_ref(), 10).unwrap();
        if page.is_empty() {
            break;
        }
        cursor = Some(ThreadCursor::after(page.last().unwrap()));
        seen.extend(page);
    }
    // The same order as the whole list, which sorts by time then id.
    assert_eq!(seen, cache.threads().unwrap());
    assert_eq!(seen.len(), 26);
    assert!(
        seen.windows(2)
            .all(|w| w[0].last_message_at >= w[1].last_message_at)
    );
    assert_eq!(seen.last().unwrap().contact_name, "never written");
}

#[test]
fn a_thread_pages_backwards_from_its_newest_message() {
    let (_dir, cache) = open();
    let t = thread("Ana", Some(at(100)));
    let other = thread("Ben", Some(at(100)));
    for i in 0..120 {
        cache
            .put_message(&message(t.id, &format!("m{i}"), at(i)))
            .unwrap();
        cache
            .put_message(&message(other.id, "noise", at(i)))
            .unwrap();
    }
    let newest = cache.messages_page(t.id, None, 50).unwrap();
    let texts = |page: &[multiline_domain::api::Message]| {
        page.iter().map(|m| m.body.preview()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&newest).first().unwrap(), "m70");
    assert_eq!(texts(&newest).last().unwrap(), "m119");
    let older = cache
        .messages_page(t.id, Some(&MessageCursor::before(&newest[0])), 50)
        .unwrap();
    assert_eq!(texts(&older).first().unwrap(), "m20");
    assert_eq!(texts(&older).last().unwrap(), "m69");
    let oldest = cache
        .messages_page(t.id, Some(&MessageCursor::before(&older[0])), 50)
        .unwrap();
    assert_eq!(oldest.len(), 20);
}

#[test]
fn paging_back_reaches_every_message_sharing_the_boundary_second() {
    // WhatsApp dates messages to the second: a guest's quick messages share one.
    let (_dir, cache) = open();
    let t = thread("Ana", Some(at(100)));
    for i in 0..5 {
        cache
            .put_message(&message(t.id, &format!("early{i}"), at(1)))
            .unwrap();
    }
    for i in 0..4 {
        cache
            .put_message(&message(t.id, &format!("same{i}"), at(2)))
            .unwrap();
    }
    // Pages of 3, each ending among messages that share a time: every message is reached
    // once, in the order stored.
    let mut shown = Vec::new();
    let mut page = cache.messages_page(t.id, None, 3).unwrap();
    while !page.is_empty() {
        let cursor = MessageCursor::before(&page[0]);
        shown.splice(0..0, page.iter().map(|m| m.body.preview()));
        page = cache.messages_page(t.id, Some(&cursor), 3).unwrap();
    }
    assert_eq!(
        shown,
        [
            "early0", "early1", "early2", "early3", "early4", "same0", "same1", "same2", "same3"
        ]
    );
}

#[test]
fn search_finds_words_by_prefix_ignoring_case_and_accents_newest_first() {
    let (_dir, cache) = open();
    let t = thread("Chloé", Some(at(3)));
    cache
        .put_message(&message(t.id, "Le rendez-vous est confirmé", at(1)))
        .unwrap();
    cache
        .put_message(&message(t.id, "Merci, à demain", at(2)))
        .unwrap();
    cache
        .put_message(&message(t.id, "RENDEZ-VOUS déplacé à jeudi", at(3)))
        .unwrap();

    let hits = cache.search_messages("rendez", None, 10).unwrap();
    assert_eq!(
        hits.iter()
            .map(|h| h.message.body.preview())
            .collect::<Vec<_>>(),
        ["RENDEZ-VOUS déplacé à jeudi", "Le rendez-vous est confirmé"]
    );
    // Every word must match; accents are ignored both ways.
    assert_eq!(
        cache
            .search_messages("confirme rendez", None, 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(cache.search_messages("deplace", None, 10).unwrap().len(), 1);
    assert!(
        cache
            .search_messages("rendez lundi", None, 10)
            .unwrap()
            .is_empty()
    );
    // FTS5's own syntax in what was typed is only text, never an error.
    for odd in ["\"", "AND", "rendez OR", "NEAR(", "*", "a\"b", "-", ""] {
        cache.search_messages(odd, None, 10).unwrap();
    }
    assert_eq!(cache.search_messages("vous\"", None, 10).unwrap().len(), 2);

    // Each match is marked in the snippet; a search within one thread stays in it.
    let other = thread("Ana", Some(at(4)));
    cache
        .put_message(&message(other.id, "Rendez-vous pris pour lundi", at(4)))
        .unwrap();
    assert_eq!(cache.search_messages("rendez", None, 10).unwrap().len(), 3);
    let here = cache.search_messages("rendez", Some(t.id), 10).unwrap();
    assert_eq!(
        here.iter().map(|h| h.snippet.as_str()).collect::<Vec<_>>(),
        [
            "\u{E000}RENDEZ\u{E001}-VOUS déplacé à jeudi",
            "Le \u{E000}rendez\u{E001}-vous est confirmé"
        ]
    );
}

#[test]
fn search_follows_messages_that_change_or_go() {
    let (_dir, cache) = open();
    let t = thread("Ana", Some(at(1)));
    let mut m = message(t.id, "first draft", at(1));
    cache.put_message(&m).unwrap();
    assert_eq!(cache.search_messages("draft", None, 10).unwrap().len(), 1);
    // A status update keeps it findable once, an edit re-indexes it.
    m.state = multiline_domain::api::DeliveryState::Read;
    cache.put_message(&m).unwrap();
    assert_eq!(cache.search_messages("draft", None, 10).unwrap().len(), 1);
    m.body = multiline_domain::api::MessageBody::Text {
        text: "final words".into(),
    };
    cache.put_message(&m).unwrap();
    assert!(cache.search_messages("draft", None, 10).unwrap().is_empty());
    assert_eq!(cache.search_messages("final", None, 10).unwrap().len(), 1);
}

#[test]
fn contacts_are_found_by_name_or_company_prefix() {
    let (_dir, cache) = open();
    cache
        .replace_contacts(&[
            contact("Ana Silva", Some("Silva Imports")),
            contact("Chloé Martin", None),
            contact("Ben Carter", Some("Northwind")),
        ])
        .unwrap();
    let names = |q: &str| {
        cache
            .search_contacts(q, 10)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names("silva"), ["Ana Silva"]);
    assert_eq!(names("chlo"), ["Chloé Martin"]);
    assert_eq!(names("north"), ["Ben Carter"]);
    assert_eq!(names("a"), ["Ana Silva"]);
    // Replacing the list replaces the index.
    cache
        .replace_contacts(&[contact("David Okafor", None)])
        .unwrap();
    assert!(names("silva").is_empty());
    assert_eq!(names("oka"), ["David Okafor"]);
}

#[test]
fn a_cache_written_before_search_existed_is_indexed_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    {
        // The first schema, as an older app left it, with a message and a contact in it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../migrations/001_cache.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let t = thread("Ana", Some(at(1)));
        let m = message(t.id, "an old message about invoices", at(1));
        conn.execute(
            "INSERT INTO messages (key, thread_id, created_at, data) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                m.id.to_string(),
                t.id.to_string(),
                1,
                serde_json::to_string(&m).unwrap()
            ],
        )
        .unwrap();
        let c = contact("Elena Rossi", None);
        conn.execute(
            "INSERT INTO contacts (id, name, data) VALUES (?1, ?2, ?3)",
            rusqlite::params![c.id.to_string(), c.name, serde_json::to_string(&c).unwrap()],
        )
        .unwrap();
    }
    let cache = Cache::open(&path).unwrap();
    assert_eq!(cache.search_messages("invoice", None, 10).unwrap().len(), 1);
    assert_eq!(cache.search_contacts("elena", 10).unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn the_cache_and_its_folder_are_the_users_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("accounts").join("someone");
    let path = folder.join("cache.sqlite3");
    // A cache left world-readable by an older version is made private when opened.
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(Cache::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cache = Cache::open(&path).unwrap();
    cache.put_thread(&thread("written", Some(at(0)))).unwrap();
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = folder.join("cache.sqlite3-wal");
    assert!(wal.exists(), "the cache writes ahead");
    assert_eq!(mode(&wal), 0o600);
}
