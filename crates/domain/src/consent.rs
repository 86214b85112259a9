//! Consent (opt-in) per business line and guest (PRODUCT.md F4-F6).
//!
//! ```text
//!            opt-in sent                affirmative reply
//!   None ─────────────────▶ Requested ─────────────────────▶ Granted
//!    ▲                        │  ▲ other reply: stays            │
//!    │                        │  └─ re-sent after 24 h            │
//!    │            opt-out reply (from any state)                 │
//!    └──── Revoked ◀─────────────────────────────────────────────┘
//!          (the guest writes again ▶ a new opt-in may be sent)
//! ```
//!
//! Replies are compared in a normal form: lower case, accents folded, surrounding whitespace
//! and punctuation removed, inner whitespace collapsed ("  Sí! " and "si" match).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;

use crate::time::Timestamp;

/// Where a guest stands on receiving WhatsApp messages from a business line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum Consent {
    /// Never asked: only the opt-in template may be sent.
    None,
    /// The opt-in template went out at `at`; waiting for an affirmative reply.
    Requested { at: DateTime<Utc> },
    /// The guest agreed at `at`, with the reply `reply` (button payload or text).
    Granted { at: DateTime<Utc>, reply: String },
    /// The guest opted out at `at`. Nothing may be sent until they write again
    /// (`guest_returned_at`); then a new opt-in may be sent.
    Revoked {
        at: DateTime<Utc>,
        #[serde(default)]
        guest_returned_at: Option<DateTime<Utc>>,
    },
}

/// What a guest's reply means for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Affirmative,
    OptOut,
    Other,
}

/// The words that grant and revoke consent. Configurable per organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentKeywords {
    pub affirmative: Vec<String>,
    pub opt_out: Vec<String>,
    /// Quick-reply payloads of the opt-in template that grant consent.
    pub affirmative_payloads: Vec<String>,
}

impl Default for ConsentKeywords {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| normalise_reply(s)).collect();
        ConsentKeywords {
            affirmative: words(&[
                "yes", "y", "ok", "okay", "agree", "i agree", "accept", "si", "sí", "oui", "ja",
                "sim",
            ]),
            opt_out: words(&[
                "stop",
                "unsubscribe",
                "opt out",
                "cancel",
                "end",
                "quit",
                "stopall",
            ]),
            affirmative_payloads: words(&["yes", "opt_in_yes"]),
        }
    }
}

/// Why an organization's keyword lists were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordError {
    #[error("the {0} list needs at least one word")]
    Empty(&'static str),
    #[error("\"{0}\" cannot both grant and revoke consent")]
    Both(String),
    #[error("{0}")]
    TooLong(String),
}

impl ConsentKeywords {
    /// An organization's own lists (either one `None`: the default for it), normalised like
    /// replies are. The opt-in template's button payloads stay the defaults.
    pub fn custom(
        affirmative: Option<&[String]>,
        opt_out: Option<&[String]>,
    ) -> Result<ConsentKeywords, KeywordError> {
        let defaults = ConsentKeywords::default();
        let words = |given: Option<&[String]>, default: Vec<String>, name| {
            let Some(given) = given else {
                return Ok(default);
            };
            let mut out: Vec<String> = Vec::new();
            for w in given
                .iter()
                .map(|w| normalise_reply(w))
                .filter(|w| !w.is_empty())
            {
                crate::limits::KEYWORD
                    .check(&w)
                    .map_err(KeywordError::TooLong)?;
                if !out.contains(&w) {
                    out.push(w);
                }
            }
            if out.is_empty() {
                Err(KeywordError::Empty(name))
            } else {
                Ok(out)
            }
        };
        let affirmative = words(affirmative, defaults.affirmative, "consent")?;
        let opt_out = words(opt_out, defaults.opt_out, "opt-out")?;
        if let Some(both) = affirmative.iter().find(|w| opt_out.contains(w)) {
            return Err(KeywordError::Both(both.clone()));
        }
        Ok(ConsentKeywords {
            affirmative,
            opt_out,
            affirmative_payloads: defaults.affirmative_payloads,
        })
    }
}

/// A reply as the keyword lists compare it: NFKD, combining marks removed, lower case,
/// surrounding whitespace and punctuation trimmed, inner whitespace collapsed.
pub fn normalise_reply(text: &str) -> String {
    let folded: String = text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let trimmed = folded.trim_matches(|c: char| {
        c.is_whitespace() || c.is_ascii_punctuation() || "¡¿…«»“”‘’".contains(c)
    });
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How the guest's message, `text` or a quick-reply `payload`, reads.
pub fn classify_reply(keywords: &ConsentKeywords, text: &str, payload: Option<&str>) -> ReplyKind {
    let text = normalise_reply(text);
    let payload = payload.map(normalise_reply);
    if keywords.opt_out.contains(&text) {
        return ReplyKind::OptOut;
    }
    if payload.is_some_and(|p| keywords.affirmative_payloads.contains(&p))
        || keywords.affirmative.contains(&text)
    {
        return ReplyKind::Affirmative;
    }
    ReplyKind::Other
}

impl Consent {
    /// The opt-in template was accepted by the Cloud API at `now`.
    pub fn opt_in_sent(&self, now: Timestamp) -> Consent {
        match self {
            Consent::Granted { .. } => self.clone(),
            _ => Consent::Requested { at: now },
        }
    }

    /// The guest wrote `text` (or tapped a quick reply with `payload`) at `now`. Every
    /// message is delivered whatever this answers; only consent changes.
    pub fn guest_replied(
        &self,
        keywords: &ConsentKeywords,
        text: &str,
        payload: Option<&str>,
        now: Timestamp,
    ) -> Consent {
        match (classify_reply(keywords, text, payload), self) {
            (ReplyKind::OptOut, _) => Consent::Revoked {
                at: now,
                guest_returned_at: None,
            },
            (ReplyKind::Affirmative, Consent::Requested { .. }) => Consent::Granted {
                at: now,
                reply: payload.map_or_else(|| text.trim().to_owned(), str::to_owned),
            },
            (
                _,
                Consent::Revoked {
                    at,
                    guest_returned_at: None,
                },
            ) => Consent::Revoked {
                at: *at,
                guest_returned_at: Some(now),
            },
            _ => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn t(h: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn normal_form_folds_case_accents_punctuation_and_spaces() {
        let cases = [
            ("  Sí! ", "si"),
            ("YES.", "yes"),
            ("I   agree", "i agree"),
            ("¡Sí!", "si"),
            ("OK 👍", "ok 👍"),
            ("Opt-Out", "opt-out"),
        ];
        for (input, want) in cases {
            assert_eq!(normalise_reply(input), want, "{input:?}");
        }
    }

    #[test]
    fn replies_are_classified_by_the_keyword_lists() {
        let k = ConsentKeywords::default();
        let cases = [
            ("Yes", None, ReplyKind::Affirmative),
            ("oui", None, ReplyKind::Affirmative),
            ("Sim!", None, ReplyKind::Affirmative),
            ("STOP", None, ReplyKind::OptOut),
            ("opt out", None, ReplyKind::OptOut),
            ("yes please call me", None, ReplyKind::Other),
            ("Who is this?", None, ReplyKind::Other),
            ("Yes", Some("YES"), ReplyKind::Affirmative),
            ("Sure thing", Some("opt_in_yes"), ReplyKind::Affirmative),
            ("Stop", Some("yes"), ReplyKind::OptOut),
        ];
        for (text, payload, want) in cases {
            assert_eq!(
                classify_reply(&k, text, payload),
                want,
                "{text:?} {payload:?}"
            );
        }
    }

    #[test]
    fn consent_moves_through_request_grant_revoke_and_request_again() {
        let k = ConsentKeywords::default();
        let requested = Consent::None.opt_in_sent(t(0));
        assert_eq!(requested, Consent::Requested { at: t(0) });
        let still = requested.guest_replied(&k, "what is this about?", None, t(1));
        assert_eq!(still, requested, "any other reply leaves it requested");
        let granted = still.guest_replied(&k, " Yes! ", None, t(2));
        assert_eq!(
            granted,
            Consent::Granted {
                at: t(2),
                reply: "Yes!".into()
            }
        );
        assert_eq!(
            granted.guest_replied(&k, "yes", None, t(3)),
            granted,
            "already granted"
        );
        let revoked = granted.guest_replied(&k, "STOP", None, t(4));
        assert_eq!(
            revoked,
            Consent::Revoked {
                at: t(4),
                guest_returned_at: None
            }
        );
        assert_eq!(
            revoked.guest_replied(&k, "yes", None, t(5)),
            Consent::Revoked {
                at: t(4),
                guest_returned_at: Some(t(5))
            },
            "writing again does not grant, it allows a new opt-in"
        );
        let again = Consent::Revoked {
            at: t(4),
            guest_returned_at: Some(t(5)),
        }
        .opt_in_sent(t(6));
        assert_eq!(again, Consent::Requested { at: t(6) });
        assert_eq!(
            again.guest_replied(&k, "ok", None, t(7)),
            Consent::Granted {
                at: t(7),
                reply: "ok".into()
            }
        );
    }

    #[test]
    fn opt_out_revokes_from_any_state() {
        let k = ConsentKeywords::default();
        for state in [
            Consent::None,
            Consent::Requested { at: t(0) },
            Consent::Granted {
                at: t(0),
                reply: "y".into(),
            },
        ] {
            assert_eq!(
                state.guest_replied(&k, "unsubscribe", None, t(1)),
                Consent::Revoked {
                    at: t(1),
                    guest_returned_at: None
                }
            );
        }
    }

    #[test]
    fn an_affirmative_word_without_a_request_grants_nothing() {
        let k = ConsentKeywords::default();
        assert_eq!(
            Consent::None.guest_replied(&k, "yes", None, t(1)),
            Consent::None
        );
    }

    #[test]
    fn an_organization_chooses_its_own_words() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let k =
            ConsentKeywords::custom(None, Some(&words(&["  Arrêt! ", "BAJA", "baja"]))).unwrap();
        assert_eq!(k.opt_out, ["arret", "baja"]);
        assert_eq!(k.affirmative, ConsentKeywords::default().affirmative);
        assert_eq!(classify_reply(&k, "Baja.", None), ReplyKind::OptOut);
        assert_eq!(
            classify_reply(&k, "STOP", None),
            ReplyKind::Other,
            "replaced, not added"
        );
        assert_eq!(
            ConsentKeywords::custom(Some(&words(&["", " "])), None),
            Err(KeywordError::Empty("consent"))
        );
        assert_eq!(
            ConsentKeywords::custom(Some(&words(&["yes", "Stop"])), None),
            Err(KeywordError::Both("stop".into()))
        );
    }
}
