//! The WhatsApp Cloud API's error codes (../shared/whatsapp-cloud-api.md): what the connector
//! does about each ([`disposition`]) and the sentence a user reads ([`describe_failure`]).
//! The carrier's errors are classified into the same [`Disposition`]s.

/// What to do about a failed call to a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Try again later (5xx, timeouts, rate limits).
    Retry,
    /// A media upload/download hiccup: try once more, then fail.
    RetryOnce,
    /// Will never succeed as is: fail the message with the reason.
    Permanent,
    /// Outside Meta's 24 h window (131047): fail it and mark the thread "template required".
    TemplateRequired,
    /// The line cannot send at all (bad token, restricted account): keep the queue, alert.
    LineBlocked,
    /// The request may have reached the provider (a timeout after sending, a lost answer):
    /// never retried, since there is no idempotency key and a guest must not get it twice.
    Unknown,
}

/// What a user reads when a WhatsApp send's outcome is unknown.
pub const UNKNOWN_OUTCOME: &str = "The connection to WhatsApp broke while sending, so this message may not have been delivered. Send it again if needed.";

/// One row of Meta's error table: a code, what the connector does about it, and what a user
/// reads when a message fails for it (`None`: the generic sentence with Meta's title).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRow {
    pub code: u32,
    pub disposition: Disposition,
    pub sentence: Option<&'static str>,
}

const fn row(code: u32, disposition: Disposition, sentence: Option<&'static str>) -> ErrorRow {
    ErrorRow {
        code,
        disposition,
        sentence,
    }
}

use Disposition::{LineBlocked, Permanent, Retry, RetryOnce, TemplateRequired};

const TEMPLATE_VALUES: Option<&str> = Some("The template's variables were not accepted.");
const TEMPLATE_OFF: Option<&str> = Some("This template is paused or disabled.");
const LINE_BLOCKED: Option<&str> = Some(
    "WhatsApp does not let this line send right now; the message waits until an \
     administrator fixes the line.",
);

/// Meta's error codes (../shared/whatsapp-cloud-api.md, "Checked against Meta's
/// documentation"; Meta's "Error codes" page) and what each does. A code not listed fails
/// the message with Meta's title ([`Disposition::Permanent`]).
pub const TABLE: &[ErrorRow] = &[
    // Temporary: try again with backoff.
    row(2, Retry, None),      // API service temporarily unavailable
    row(4, Retry, None),      // app-level rate limit
    row(80007, Retry, None),  // WABA rate limit
    row(130429, Retry, None), // throughput reached
    row(131000, Retry, None), // something went wrong
    row(131016, Retry, None), // service overloaded
    row(131056, Retry, None), // pair rate: the same guest too often
    row(131057, Retry, None), // account in maintenance
    row(133004, Retry, None), // server temporarily unavailable
    // The media of a send could not be uploaded or fetched: once more, then fail.
    row(
        131053,
        RetryOnce,
        Some("The attachment could not be uploaded to WhatsApp."),
    ),
    // 131052 is about a guest's media that cannot be downloaded (inbound), never a send's.
    row(
        131052,
        RetryOnce,
        Some("WhatsApp could not hand over the guest's file."),
    ),
    // The line cannot send at all: keep the queue, tell an admin.
    row(0, LineBlocked, LINE_BLOCKED),   // authentication exception
    row(3, LineBlocked, LINE_BLOCKED),   // capability or permission
    row(10, LineBlocked, LINE_BLOCKED),  // permission denied
    row(190, LineBlocked, LINE_BLOCKED), // access token expired or invalid
    row(200, LineBlocked, LINE_BLOCKED), // permission (200-299)
    row(368, LineBlocked, LINE_BLOCKED), // temporarily blocked for policy violations
    row(131031, LineBlocked, LINE_BLOCKED), // account locked
    row(
        131042,
        LineBlocked,
        Some(
            "WhatsApp refuses to send until the business's payment method is fixed; the message \
         waits until then.",
        ),
    ),
    row(
        131045,
        LineBlocked,
        Some(
            "The line's number is not registered with WhatsApp; the message waits until an \
         administrator registers it.",
        ),
    ),
    row(
        2635,
        LineBlocked,
        Some(
            "This line's WhatsApp API version is no longer supported: an administrator must move \
         the line to a current one (the message waits until then).",
        ),
    ),
    // This message cannot go: fail it, saying why and what to do instead.
    row(
        131047,
        TemplateRequired,
        Some("24 hours have passed since the guest's last message; send a template message."),
    ),
    row(
        131026,
        Permanent,
        Some("The guest could not be reached on WhatsApp (the number may not use it)."),
    ),
    row(
        131049,
        Permanent,
        Some(
            "WhatsApp holds back marketing to this guest for now (too many from businesses); try \
         later or send something that is not marketing.",
        ),
    ),
    row(
        131050,
        Permanent,
        Some("The guest has stopped marketing messages from this business on WhatsApp."),
    ),
    row(
        131051,
        Permanent,
        Some("WhatsApp does not support this kind of message."),
    ),
    row(
        131021,
        Permanent,
        Some("A message cannot be sent to the line's own number."),
    ),
    row(131008, Permanent, TEMPLATE_VALUES),
    row(131009, Permanent, TEMPLATE_VALUES),
    row(132000, Permanent, TEMPLATE_VALUES),
    row(132012, Permanent, TEMPLATE_VALUES),
    row(
        132018,
        Permanent,
        Some("A template value has a new line, a tab or more than four spaces in a row."),
    ),
    row(
        132001,
        Permanent,
        Some("This template does not exist (anymore)."),
    ),
    row(132015, Permanent, TEMPLATE_OFF),
    row(132016, Permanent, TEMPLATE_OFF),
];

/// The table's row for `code`, if it has one.
pub fn lookup(code: u32) -> Option<&'static ErrorRow> {
    TABLE.iter().find(|r| r.code == code)
}

/// The connector's wording for a Cloud API failure, shown to users.
pub fn describe_failure(code: u32, title: &str) -> String {
    match lookup(code).and_then(|r| r.sentence) {
        Some(sentence) => sentence.to_owned(),
        None if title.is_empty() => format!("WhatsApp refused the message (error {code})."),
        None => format!("WhatsApp refused the message: {title} (error {code})."),
    }
}

/// What a user can do about a message that failed with `disposition` (after its retries, if
/// any) and Meta's `code`: send a template for a closed window (131047), text a number that
/// is not on WhatsApp (131026), send again what might go through now (a temporary failure
/// whose retries ran out, an unknown outcome); nothing for the rest, which would fail the
/// same way again.
pub fn remedy(disposition: Disposition, code: Option<u32>) -> Option<crate::messages::Remedy> {
    use crate::messages::Remedy;
    match (disposition, code) {
        (TemplateRequired, _) | (_, Some(131047)) => Some(Remedy::Template),
        (_, Some(131026)) => Some(Remedy::Sms),
        (Retry | RetryOnce | Disposition::Unknown, _) => Some(Remedy::Retry),
        _ => None,
    }
}

/// How the connector treats each Cloud API error code.
pub fn disposition(code: u32) -> Disposition {
    lookup(code).map_or(Permanent, |r| r.disposition)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row by row, as ../shared/whatsapp-cloud-api.md says Meta's codes must be handled.
    #[test]
    fn cloud_api_error_codes_map_to_what_the_connector_does() {
        let cases = [
            (2, Retry),
            (4, Retry),
            (80007, Retry),
            (130429, Retry),
            (131000, Retry),
            (131016, Retry),
            (131056, Retry),
            (131057, Retry),
            (133004, Retry),
            (131053, RetryOnce),
            (131052, RetryOnce),
            (0, LineBlocked),
            (3, LineBlocked),
            (10, LineBlocked),
            (190, LineBlocked),
            (200, LineBlocked),
            (368, LineBlocked),
            (131031, LineBlocked),
            (131042, LineBlocked),
            (131045, LineBlocked),
            (2635, LineBlocked),
            (131047, TemplateRequired),
            (131026, Permanent),
            (131049, Permanent),
            (131050, Permanent),
            (131051, Permanent),
            (131021, Permanent),
            (132000, Permanent),
            (132001, Permanent),
            (132012, Permanent),
            (132015, Permanent),
            (132016, Permanent),
            (132018, Permanent),
            (100, Permanent),
            (470, Permanent),
        ];
        for (code, want) in cases {
            assert_eq!(disposition(code), want, "{code}");
        }
        let mut codes: Vec<_> = TABLE.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TABLE.len(), "one row per code");
    }

    #[test]
    fn each_failure_offers_its_next_step() {
        use crate::messages::Remedy;
        let step = |code: u32| remedy(disposition(code), Some(code));
        assert_eq!(step(131047), Some(Remedy::Template));
        assert_eq!(step(131026), Some(Remedy::Sms));
        for code in [2, 4, 131000, 131016, 131056, 131057, 133004, 130429, 131053] {
            assert_eq!(step(code), Some(Remedy::Retry), "{code}");
        }
        for code in [
            131049, 131050, 131051, 131021, 132000, 132012, 132015, 132018, 4242,
        ] {
            assert_eq!(step(code), None, "{code}");
        }
        assert_eq!(remedy(Disposition::Unknown, None), Some(Remedy::Retry));
    }

    #[test]
    fn every_failure_reads_as_a_sentence() {
        assert!(describe_failure(131047, "").contains("template"));
        assert!(describe_failure(131026, "").contains("could not be reached"));
        assert!(describe_failure(131050, "").contains("stopped marketing"));
        for row in TABLE {
            let said = describe_failure(row.code, "Title");
            assert!(
                said.ends_with('.') && !said.contains("  "),
                "{}: {said}",
                row.code
            );
        }
        assert_eq!(
            describe_failure(4242, "Odd"),
            "WhatsApp refused the message: Odd (error 4242)."
        );
        assert_eq!(
            describe_failure(4242, ""),
            "WhatsApp refused the message (error 4242)."
        );
    }
}
