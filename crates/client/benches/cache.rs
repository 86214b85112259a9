//! The cache at the size of a busy account: 10,000 threads and 1,000,000 messages.
//!
//! - open-to-first-page: open the file (pragmas, migration check) and read the first 50
//!   threads of the list, as the app does when it starts;
//! - the last 50 messages of a random thread, as opening a thread does;
//! - full-text search for a word (common or rare, as a prefix), first 50 hits.
//!
//! Reference, in the same run: one primary-key read of a thread row through a bare rusqlite
//! connection, the floor of any read. Figures: p50 and p99 of 300 runs each.

// A benchmark measures wall time: it reads the real clock on purpose.
#![allow(clippy::disallowed_methods)]

#[path = "../tests/all/support/fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use multiline_client::cache::Cache;
use rand::{Rng, SeedableRng};

const THREADS: usize = 10_000;
const MESSAGES: usize = 1_000_000;
const RUNS: usize = 300;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let vocabulary = vocabulary(&mut rng);

    let t = Instant::now();
    let threads = fill(&path, &vocabulary, &mut rng);
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "cache: {THREADS} threads, {MESSAGES} messages, {} MB, filled in {:.0} s",
        size / 1_000_000,
        t.elapsed().as_secs_f64()
    );

    let bare = rusqlite::Connection::open(&path).unwrap();
    let reference = measure(|i| {
        let id = threads[i % threads.len()].to_string();
        let _: String = bare
            .query_row("SELECT data FROM threads WHERE id = ?1", [id], |r| r.get(0))
            .unwrap();
    });

    let open_first_page = measure(|_| {
        let cache = Cache::open(&path).unwrap();
        assert_eq!(cache.threads_page(None, 50).unwrap().len(), 50);
    });

    let cache = Cache::open(&path).unwrap();
    let last_50 = measure(|_| {
        let id = threads[rng.random_range(0..threads.len())];
        std::hint::black_box(cache.messages_page(id, None, 50).unwrap());
    });

    let mut hits = Vec::new();
    let search = measure(|i| {
        // Common, middling and rare words, typed as prefixes of 3+ letters.
        let word = &vocabulary[[0, 50, 500, 1500][i % 4] + i % 7];
        let prefix = &word[..word.len().min(3 + i % 3)];
        hits.push(cache.search_messages(prefix, None, 50).unwrap().len());
    });
    hits.sort();

    println!(
        "{:<28} {:>10} {:>10} {:>11} {:>8}",
        "", "p50", "p99", "p50 ratio", "target"
    );
    let row = |name: &str, d: &[Duration], target: &str| {
        println!(
            "{name:<28} {:>8.3}ms {:>8.3}ms {:>10.0}x {target:>8}",
            ms(pct(d, 50)),
            ms(pct(d, 99)),
            ms(pct(d, 50)) / ms(pct(&reference, 50)),
        );
    };
    row("reference: one row by key", &reference, "");
    row("open + first 50 threads", &open_first_page, "< 20 ms");
    row("last 50 messages of thread", &last_50, "< 5 ms");
    row("search, first 50 hits", &search, "< 50 ms");
    println!(
        "search hits per query: min {}, median {}, max {}",
        hits[0],
        hits[hits.len() / 2],
        hits[hits.len() - 1]
    );
}

/// 3,000 made-up words, most common first.
fn vocabulary(rng: &mut impl Rng) -> Vec<String> {
    const SYLLABLES: &[&str] = &[
        "ka", "lo", "mi", "ne", "tor", "ve", "sa", "ri", "pun", "de", "gal", "fo", "zu", "bre",
        "chi", "an", "el", "os", "tra", "mu",
    ];
    (0..3000)
        .map(|_| {
            (0..rng.random_range(2..=4))
                .map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())])
                .collect()
        })
        .collect()
}

/// Threads with a skewed number of messages (a few very long ones), and message texts whose
/// word frequencies fall off like a language's.
fn fill(
    path: &std::path::Path,
    vocabulary: &[String],
    rng: &mut impl Rng,
) -> Vec<multiline_domain::ids::ThreadId> {
    let cache = Cache::open(path).unwrap();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let at = start + chrono::Duration::minutes(rng.random_range(0..1_000_000));
            fixtures::thread(&format!("Guest {i}"), Some(at))
        })
        .collect();
    for t in &threads {
        cache.put_thread(t).unwrap();
    }
    let mut batch = Vec::with_capacity(10_000);
    for n in 0..MESSAGES {
        let u: f64 = rng.random();
        let thread = &threads[((u * u) * THREADS as f64) as usize];
        let words: Vec<&str> = (0..rng.random_range(3..15))
            .map(|_| {
                let v: f64 = rng.random();
                vocabulary[(v.powi(4) * vocabulary.len() as f64) as usize].as_str()
            })
            .collect();
        let at = start + chrono::Duration::seconds(n as i64 * 30);
        batch.push(fixtures::message(thread.id, &words.join(" "), at));
        if batch.len() == batch.capacity() {
            cache.put_messages(&batch).unwrap();
            batch.clear();
        }
    }
    cache.put_messages(&batch).unwrap();
    threads.iter().map(|t| t.id).collect()
}

fn measure(mut f: impl FnMut(usize)) -> Vec<Duration> {
    for i in 0..10 {
        f(i); // warm-up
    }
    (0..RUNS)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect()
}

fn pct(d: &[Duration], p: usize) -> Duration {
    let mut sorted = d.to_vec();
    sorted.sort();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
