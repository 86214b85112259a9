//! A line's Graph API version against Meta's schedule: the owner told 90, 30, 7 and 1 days
//! before its end and once it ended, each once; an ended or malformed version refused.

use chrono::{TimeZone, Utc};
use multiline_connector::error::Error;
use multiline_connector::usecases::{accounts, api_versions};
use multiline_domain::api::Event;
use multiline_domain::errors::ErrorCode;
use multiline_domain::time::Timestamp;

use super::harness::Rules;
use super::world;

fn day(y: i32, m: u32, d: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

#[test]
fn the_owner_is_told_before_the_lines_api_version_ends_and_an_admin_moves_it() {
    let s = Rules::new();
    let w = world(&s);
    let org = w.alex.org_id;
    // An organization that connected its line before v25.0 was the default.
    let line = api_versions::set(&s.at(day(2026, 10, 1)), org, "v21.0").unwrap();
    assert_eq!(line.api_version, "v21.0");

    let problems = |user| {
        s.events_after(user, 0, 1000)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event {
                Event::LineProblem { text } => Some(text),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let watch = |at| api_versions::watch(&s.at(at)).unwrap();

    // 112 days before its end: nothing to say.
    assert!(watch(day(2026, 10, 1)).is_empty());
    // 90 days before: the owner (Alex) is told, once; Other's line (v25.0) is fine.
    assert_eq!(watch(day(2026, 10, 23)), vec![w.alex.user_id]);
    assert!(watch(day(2026, 10, 24)).is_empty(), "once per stage");
    assert!(watch(day(2026, 12, 5)).is_empty());
    let told = problems(w.alex.user_id);
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains("v21.0, which Meta stops on 21 January 2027 (in 90 days)"),
        "{}",
        told[0]
    );
    assert!(
        told[0].contains(&format!("line set-api-version --org {org} v25.0")),
        "{}",
        told[0]
    );
    assert!(problems(w.sam.user_id).is_empty(), "the line's owner only");
    assert!(problems(w.olga.user_id).is_empty());

    // 30, 7 and 1 days before, and once it has ended.
    assert_eq!(watch(day(2026, 12, 22)), vec![w.alex.user_id]);
    assert_eq!(watch(day(2027, 1, 14)), vec![w.alex.user_id]);
    assert_eq!(watch(day(2027, 1, 20)), vec![w.alex.user_id]);
    assert!(problems(w.alex.user_id)[3].contains("(tomorrow)"));
    assert_eq!(watch(day(2027, 1, 21)), vec![w.alex.user_id]);
    assert!(watch(day(2027, 1, 22)).is_empty());
    let told = problems(w.alex.user_id);
    assert_eq!(told.len(), 5);
    assert!(
        told[4].contains("which Meta stopped on 21 January 2027"),
        "{}",
        told[4]
    );
    let audit = s.audit(org).unwrap();
    let ending: Vec<_> = audit
        .iter()
        .filter(|r| r["action"] == "line.api_version_ending")
        .map(|r| r["detail"]["stage_days"].as_i64().unwrap())
        .collect();
    assert_eq!(ending, [90, 30, 7, 1, 0]);

    // An ended version cannot be set again, nor a malformed one; nothing is written.
    let before = s.row_counts().unwrap();
    for bad in ["v21.0", "v20.0", "25.0", "latest"] {
        match api_versions::set(&s.at(day(2027, 1, 22)), org, bad) {
            Err(Error::Invalid { code, message }) => {
                assert_eq!(code, ErrorCode::InvalidRequest, "{bad}");
                assert!(!message.is_empty());
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // Nor can a line be connected with one.
    let mut line = super::new_line(w.alex.user_id, "15550003333");
    line.api_version = "v21.0".into();
    assert!(matches!(
        accounts::connect_line(&s.at(day(2027, 1, 22)), org, &line),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(s.row_counts().unwrap(), before);

    // The admin moves the line: audited with what it was; nothing more to say.
    let line = api_versions::set(&s.at(day(2027, 1, 22)), org, "v25.0").unwrap();
    assert_eq!(line.api_version, "v25.0");
    let moved = s
        .audit(org)
        .unwrap()
        .into_iter()
        .rfind(|r| r["action"] == "line.api_version")
        .unwrap();
    assert_eq!(moved["detail"]["from"], "v21.0");
    assert_eq!(moved["detail"]["to"], "v25.0");
    assert!(watch(day(2027, 1, 23)).is_empty());
    // v25.0 in its turn (both organizations' lines): told 90 days before 29 July 2028.
    assert!(watch(day(2028, 4, 29)).is_empty());
    let mut told = watch(day(2028, 4, 30));
    told.sort();
    let mut owners = vec![w.alex.user_id, w.olga.user_id];
    owners.sort();
    assert_eq!(told, owners);
}
