//! A line belongs to one organization: another organization cannot take it over by naming
//! its phone number id or its WhatsApp Business Account, and its owner is one of its own.

use multiline_connector::error::Error;
use multiline_domain::errors::ErrorCode;

use crate::usecases::harness::Rules;
use crate::usecases::{new_line, world};

fn code(e: Error) -> ErrorCode {
    match e {
        Error::Invalid { code, .. } => code,
        other => panic!("expected a clear refusal, got {other:?}"),
    }
}

#[test]
fn another_organization_cannot_take_over_a_line_by_its_phone_number_id() {
    let s = Rules::new();
    let w = world(&s);
    let before = s.line(w.line).unwrap();
    let mut stolen = new_line(w.olga.user_id, "15550001111");
    stolen.waba_id = "waba-olga-own".into();
    stolen.access_token = "olga-token".into();
    let e = s.connect_line(w.olga.org_id, stolen).unwrap_err();
    assert_eq!(code(e), ErrorCode::Conflict);
    let after = s.line(w.line).unwrap();
    assert_eq!(
        after, before,
        "the line, its owner and its secrets are unchanged"
    );
    assert_eq!(after.org_id, w.alex.org_id);
}

#[test]
fn another_organization_cannot_connect_a_number_of_a_waba_connected_elsewhere() {
    let s = Rules::new();
    let w = world(&s);
    let mut second = new_line(w.olga.user_id, "15550003333");
    second.waba_id = "waba-15550001111".into(); // Acme's account
    let e = s.connect_line(w.olga.org_id, second).unwrap_err();
    assert_eq!(code(e), ErrorCode::Conflict);
    // The same number under Other's own account is fine.
    s.connect_line(w.olga.org_id, new_line(w.olga.user_id, "15550003333"))
        .unwrap();
}

#[test]
fn a_lines_owner_is_a_user_of_its_organization() {
    let s = Rules::new();
    let w = world(&s);
    let before = s.line(w.line).unwrap();
    // Acme reconnecting its own line with Olga (of Other) as its owner.
    let e = s
        .connect_line(w.alex.org_id, new_line(w.olga.user_id, "15550001111"))
        .unwrap_err();
    assert_eq!(code(e), ErrorCode::InvalidBody);
    assert_eq!(s.line(w.line).unwrap(), before);
    // With one of its own users, reconnecting works and keeps the line's id.
    let again = s
        .connect_line(w.alex.org_id, new_line(w.sam.user_id, "15550001111"))
        .unwrap();
    assert_eq!(again, w.line);
    assert_eq!(s.line(w.line).unwrap().owner_user_id, w.sam.user_id);
}
