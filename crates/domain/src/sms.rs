//! SMS opt-out and opt-in keywords, as US carriers require and Twilio's Advanced Opt-Out
//! applies by default: a message that is exactly one of these words (case, surrounding
//! spaces and punctuation ignored) changes whether texts may be sent to that number.
//!
//! After an opt-out the carrier itself refuses further texts to the number until the guest
//! opts in again, so the connector refuses them first, with a sentence the user can act on.

use crate::consent::Consent;
use crate::time::Timestamp;

/// What a guest's SMS means for whether texts may be sent to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsKeyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE.
    OptOut,
    /// START, YES, UNSTOP.
    OptIn,
    /// HELP, INFO: answered by the carrier; changes nothing.
    Help,
}

const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
const OPT_IN: &[&str] = &["START", "YES", "UNSTOP"];
const HELP: &[&str] = &["HELP", "INFO"];

/// The keyword a whole message is, if it is one ("Stop." is; "please stop" is not).
pub fn keyword(text: &str) -> Option<SmsKeyword> {
    let word = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_ascii_uppercase();
    let is = |list: &[&str]| list.contains(&word.as_str());
    if is(OPT_OUT) {
        Some(SmsKeyword::OptOut)
    } else if is(OPT_IN) {
        Some(SmsKeyword::OptIn)
    } else if is(HELP) {
        Some(SmsKeyword::Help)
    } else {
        None
    }
}

/// A number's SMS standing after the guest texted `text` at `now`: an opt-out revokes it,
/// an opt-in restores it (recorded with the word), anything else leaves it as it was.
/// Texts may be sent unless the standing is [`Consent::Revoked`].
pub fn after_guest_text(before: &Consent, text: &str, now: Timestamp) -> Consent {
    match keyword(text) {
        Some(SmsKeyword::OptOut) => Consent::Revoked {
            at: now,
            guest_returned_at: None,
        },
        Some(SmsKeyword::OptIn) if matches!(before, Consent::Revoked { .. }) => Consent::Granted {
            at: now,
            reply: text.trim().to_owned(),
        },
        _ => before.clone(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn a_whole_message_is_a_keyword_whatever_its_case_and_punctuation() {
        for (text, want) in [
            ("STOP", Some(SmsKeyword::OptOut)),
            ("  stop. ", Some(SmsKeyword::OptOut)),
            ("Unsubscribe!", Some(SmsKeyword::OptOut)),
            ("quit", Some(SmsKeyword::OptOut)),
            ("Start", Some(SmsKeyword::OptIn)),
            ("unstop", Some(SmsKeyword::OptIn)),
            ("HELP?", Some(SmsKeyword::Help)),
            ("please stop", None),
            ("stopping by at 5", None),
            ("", None),
        ] {
            assert_eq!(keyword(text), want, "{text:?}");
        }
    }

    #[test]
    fn stop_revokes_and_only_an_opt_in_word_restores() {
        let t = |m| Utc.with_ymd_and_hms(2026, 3, 1, 9, m, 0).unwrap();
        let stopped = after_guest_text(&Consent::None, "STOP", t(0));
        assert_eq!(
            stopped,
            Consent::Revoked {
                at: t(0),
                guest_returned_at: None
            }
        );
        assert_eq!(after_guest_text(&stopped, "hello?", t(1)), stopped);
        assert_eq!(
            after_guest_text(&stopped, "Start", t(2)),
            Consent::Granted {
                at: t(2),
                reply: "Start".into()
            }
        );
        // START without a STOP before it changes nothing.
        assert_eq!(
            after_guest_text(&Consent::None, "START", t(3)),
            Consent::None
        );
        assert_eq!(
            after_guest_text(&Consent::None, "help", t(4)),
            Consent::None
        );
    }
}
