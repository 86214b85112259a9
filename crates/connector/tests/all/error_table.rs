//! Every row of the domain's table of Meta's errors (`cloud_errors::TABLE`), played by the
//! simulator on a real send: a temporary error is retried and the message delivered once; a
//! media hiccup tried once more; an error that blocks the line pauses it: the message waits
//! (not failed, nothing more tried) until an admin resumes the line, and its owner is told
//! once (again after a resume);
//! one that concerns the message fails it with the table's sentence, and 131047 marks the
//! thread as needing a template.

use multiline_connector::usecases::{deliver, events};
use multiline_domain::api::{DeliveryState, Event, Message, Thread};
use multiline_domain::cloud_errors::{self, Disposition, TABLE};
use multiline_domain::ids::MessageId;
use wa_sim::Fault;

use crate::support::{ANA, Harness};

/// The message once the connector has failed it (waiting for the system, within 10 s).
async fn until_failed(
    h: &Harness,
    thread: &Thread,
    id: MessageId,
) -> Result<Message, tokio::time::error::Elapsed> {
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let stored = h.messages(thread).await;
            let m = stored.iter().find(|m| m.id == id).unwrap().clone();
            if m.state == DeliveryState::Failed {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
}

#[tokio::test]
async fn every_row_of_the_error_table_ends_as_the_table_says() {
    let h = Harness::start().await;
    let thread = h.ana_thread().await;
    // A code the table does not list fails the message with Meta's words, read from Meta's
    // shape ("(#code) title", `error_data.details`) without the prefix.
    h.demo.sim.inject_fault(
        Fault::Error {
            code: 4242,
            status: None,
        },
        1,
    );
    let odd = h.send_text(&thread, "An odd one").await;
    let failed = until_failed(&h, &thread, odd.id)
        .await
        .expect("an unlisted code fails the message");
    assert_eq!(
        failed.failure.as_deref(),
        Some("WhatsApp refused the message: Injected error 4242 (error 4242).")
    );

    // 131047 last: it leaves the thread needing a template.
    let mut rows: Vec<_> = TABLE.iter().collect();
    rows.sort_by_key(|r| r.disposition == Disposition::TemplateRequired);
    for (i, row) in rows.iter().enumerate() {
        let text = format!("Message {i} meets error {}", row.code);
        let status = match row.code {
            2 | 131000 | 131016 | 133004 => Some(500),
            130429 => Some(429),
            _ => None,
        };
        h.demo.sim.inject_fault(
            Fault::Error {
                code: row.code,
                status,
            },
            1,
        );
        let sent = h.send_text(&thread, &text).await;
        let delivered = |h: &Harness| h.demo.sim.received(ANA).iter().any(|r| r.text == text);
        match row.disposition {
            Disposition::Retry | Disposition::RetryOnce | Disposition::LineBlocked => {
                if row.disposition == Disposition::LineBlocked {
                    // The line pauses: the message waits, and nothing more is tried until
                    // an admin resumes the line.
                    let code = row.code.to_string();
                    h.retry_until(|h| h.line().blocked_told.as_deref() == Some(code.as_str()))
                        .await;
                    for _ in 0..3 {
                        h.advance(chrono::Duration::minutes(10));
                        h.demo.connector.ctx.dispatch.notify_one();
                        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                    }
                    let stored = h.messages(&thread).await;
                    let m = stored.iter().find(|m| m.id == sent.id).unwrap();
                    assert_eq!(m.state, DeliveryState::Sending, "{}: waits", row.code);
                    assert!(!delivered(&h), "{}: paused", row.code);
                    deliver::resume(&h.env(), h.demo.org).unwrap();
                }
                // Refused once, then the retry goes through: delivered, once.
                h.retry_until(|h| delivered(h)).await;
                h.settle().await;
                let stored = h.messages(&thread).await;
                let m = stored.iter().find(|m| m.id == sent.id).unwrap();
                assert_eq!(m.state, DeliveryState::Delivered, "{}: {m:?}", row.code);
                let times = h
                    .demo
                    .sim
                    .received(ANA)
                    .iter()
                    .filter(|r| r.text == text)
                    .count();
                assert_eq!(times, 1, "{}: sent once", row.code);
            }
            Disposition::Permanent | Disposition::TemplateRequired => {
                h.retry_until(|h| h.demo.sim.faults_pending() == 0).await;
                let failed = until_failed(&h, &thread, sent.id)
                    .await
                    .unwrap_or_else(|_| panic!("{}: failed", row.code));
                assert_eq!(
                    failed.failure.as_deref(),
                    row.sentence,
                    "{}: the table's sentence",
                    row.code
                );
                assert_eq!(
                    failed.remedy,
                    cloud_errors::remedy(row.disposition, Some(row.code)),
                    "{}: the next step offered",
                    row.code
                );
                assert!(!delivered(&h), "{}: never sent", row.code);
            }
            Disposition::Unknown => unreachable!("the table names no unknown outcome"),
        }
        assert_eq!(h.demo.sim.faults_pending(), 0, "{}: played", row.code);
    }
    // Each block told to the line's owner once, audited, and lifted when the admin resumed.
    let blocking: Vec<i64> = rows
        .iter()
        .filter(|r| r.disposition == Disposition::LineBlocked)
        .map(|r| i64::from(r.code))
        .collect();
    let audit = h.audit();
    let logged = |action: &str| -> Vec<i64> {
        audit
            .iter()
            .filter(|r| r["action"] == action)
            .map(|r| {
                r["detail"]["code"]
                    .as_i64()
                    .or_else(|| r["detail"]["code"].as_str()?.parse().ok())
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(logged("line.blocked"), blocking);
    assert_eq!(logged("line.resumed"), blocking);
    let owner = h.line().owner_user_id;
    let problems: Vec<String> = events::after(&h.env(), owner, 0, 100_000)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            Event::LineProblem { text } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(problems.len(), blocking.len(), "{problems:#?}");
    assert!(
        problems[0].starts_with("WhatsApp refuses to send from the line +15550001111 (error 0):"),
        "{}",
        problems[0]
    );

    // After 131047 the thread asks for a template.
    let after: multiline_domain::api::Thread = h.get(&format!("/v1/threads/{}", thread.id)).await;
    assert!(after.template_required, "{after:?}");
}
