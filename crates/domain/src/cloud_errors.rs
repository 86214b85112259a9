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

/// The connector's wording for a Cloud API failure, shown to users.
pub fn describe_failure(code: u32, title: &str) -> String {
    match code {
        131047 => {
            "24 hours have passed since the guest's last message; send a template message.".into()
        }
        131026 => "The guest could not be reached on WhatsApp.".into(),
        131051 => "WhatsApp does not support this kind of message.".into(),
        132000 | 132012 | 131008 | 131009 => "The template's variables were not accepted.".into(),
        132001 => "This template does not exist (anymore).".into(),
        132015 | 132016 => "This template is paused or disabled.".into(),
        _ if title.is_empty() => format!("WhatsApp refused the message (error {code})."),
        _ => format!("WhatsApp refused the message: {title} (error {code})."),
    }
}

/// How the connector treats each Cloud API error code.
pub fn disposition(code: u32) -> Disposition {
    match code {
        131047 => Disposition::TemplateRequired,
        130429 | 131056 | 80007 | 4 => Disposition::Retry,
        131053 | 131052 => Disposition::RetryOnce,
        190 | 368 | 131031 => Disposition::LineBlocked,
        _ => Disposition::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_api_error_codes_map_to_what_the_connector_does() {
        let cases = [
            (131047, Disposition::TemplateRequired),
            (131026, Disposition::Permanent),
            (131051, Disposition::Permanent),
            (131053, Disposition::RetryOnce),
            (131052, Disposition::RetryOnce),
            (130429, Disposition::Retry),
            (131056, Disposition::Retry),
            (80007, Disposition::Retry),
            (4, Disposition::Retry),
            (132000, Disposition::Permanent),
            (132001, Disposition::Permanent),
            (132015, Disposition::Permanent),
            (100, Disposition::Permanent),
            (190, Disposition::LineBlocked),
            (368, Disposition::LineBlocked),
            (131031, Disposition::LineBlocked),
        ];
        for (code, want) in cases {
            assert_eq!(disposition(code), want, "{code}");
        }
    }

    #[test]
    fn every_failure_reads_as_a_sentence() {
        assert!(describe_failure(131047, "").contains("template"));
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
