//! Meta's Graph API versions, which the Cloud API's URLs name (`/v25.0/{phone-number-id}/...`),
//! and when each stops working. A line keeps its own version; the connector warns the line's
//! owner as its end comes near ([`warning`]) and refuses to set one that has ended.
//!
//! The dates are Meta's published schedule ("Graph API: Versions",
//! developers.facebook.com/docs/graph-api/changelog/versions, read December 2026): every
//! version is available for at least two years, and its end date is set when a later
//! version comes out.

use chrono::NaiveDate;

/// The version new lines use: the newest one whose end date Meta has published (so that
/// the connector can warn before it), lasting until 29 July 2028. Newer versions (v26.0,
/// current since July 2026) may be set per line.
pub const DEFAULT: &str = "v25.0";

/// How long before a version's end its line's owner is first told (then again at 30, 7
/// and 1 day, and when it has ended).
pub const WARN_DAYS: i64 = 90;

/// The days before the end at which the owner is told again: each crossed once.
const WARN_AGAIN: [i64; 4] = [WARN_DAYS, 30, 7, 1];

/// One published version: its number and the last day it works (exclusive: on `ends` it no
/// longer answers), `None` while Meta has not set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphVersion {
    pub major: u32,
    pub ends: Option<NaiveDate>,
}

const fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Meta's schedule, newest first.
pub const VERSIONS: &[GraphVersion] = &[
    GraphVersion {
        major: 26,
        ends: None,
    },
    GraphVersion {
        major: 25,
        ends: day(2028, 7, 29),
    },
    GraphVersion {
        major: 24,
        ends: day(2028, 2, 18),
    },
    GraphVersion {
        major: 23,
        ends: day(2027, 10, 8),
    },
    GraphVersion {
        major: 22,
        ends: day(2027, 5, 20),
    },
    GraphVersion {
        major: 21,
        ends: day(2027, 1, 21),
    },
    GraphVersion {
        major: 20,
        ends: day(2026, 9, 24),
    },
    GraphVersion {
        major: 19,
        ends: day(2026, 5, 21),
    },
    GraphVersion {
        major: 18,
        ends: day(2026, 1, 26),
    },
    GraphVersion {
        major: 17,
        ends: day(2025, 9, 12),
    },
    GraphVersion {
        major: 16,
        ends: day(2025, 5, 14),
    },
];

/// Where a version stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Works, and will for more than [`WARN_DAYS`] (or its end is not set yet).
    Supported { ends: Option<NaiveDate> },
    /// Works until `ends`, `days_left` days from today (1..=WARN_DAYS).
    EndingSoon { ends: NaiveDate, days_left: i64 },
    /// No longer works: ended on `ended` (`None`: older than the versions listed).
    Ended { ended: Option<NaiveDate> },
}

/// A version string that is not `v<major>.0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a Graph API version: write it as Meta does, e.g. {DEFAULT}")]
pub struct NotAVersion(pub String);

/// The major number of `v25.0` (Graph versions are always `.0`).
pub fn parse(version: &str) -> Result<u32, NotAVersion> {
    version
        .strip_prefix('v')
        .and_then(|v| v.strip_suffix(".0"))
        .filter(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|major| major.parse().ok())
        .ok_or_else(|| NotAVersion(version.to_owned()))
}

/// Where `version` stands on `today`. A version newer than the newest listed is taken as
/// supported (Meta released it after this table was written); one older than the oldest
/// listed has ended.
pub fn standing(version: &str, today: NaiveDate) -> Result<Standing, NotAVersion> {
    let major = parse(version)?;
    let newest = VERSIONS[0].major;
    let oldest = VERSIONS[VERSIONS.len() - 1].major;
    if major > newest {
        return Ok(Standing::Supported { ends: None });
    }
    if major < oldest {
        return Ok(Standing::Ended { ended: None });
    }
    let Some(known) = VERSIONS.iter().find(|v| v.major == major) else {
        return Err(NotAVersion(version.to_owned()));
    };
    Ok(match known.ends {
        None => Standing::Supported { ends: None },
        Some(ends) if today >= ends => Standing::Ended { ended: Some(ends) },
        Some(ends) => {
            let days_left = (ends - today).num_days();
            if days_left <= WARN_DAYS {
                Standing::EndingSoon { ends, days_left }
            } else {
                Standing::Supported { ends: Some(ends) }
            }
        }
    })
}

/// A warning for the owner of a line on `version`: its stage (the threshold crossed, in
/// days before the end, 0 once ended: a line is told once per stage) and the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub stage: i64,
    pub text: String,
}

/// What to tell the owner of the line `number` (as people read it) of the organization
/// `org` on `version` today, if anything. A version that cannot be read is said too.
pub fn warning(version: &str, number: &str, org: &str, today: NaiveDate) -> Option<Warning> {
    let fix = format!(
        "an administrator can move it with `multiline-connector line set-api-version \
         --org {org} {DEFAULT}`"
    );
    match standing(version, today) {
        Err(e) => Some(Warning {
            stage: 0,
            text: format!("The line {number} is set to {e}; {fix}."),
        }),
        Ok(Standing::Supported { .. }) => None,
        Ok(Standing::EndingSoon { ends, days_left }) => {
            let stage = WARN_AGAIN
                .iter()
                .copied()
                .filter(|t| days_left <= *t)
                .min()
                .unwrap_or(WARN_DAYS);
            let when = match days_left {
                1 => "tomorrow".to_owned(),
                n => format!("in {n} days"),
            };
            Some(Warning {
                stage,
                text: format!(
                    "The line {number} uses WhatsApp's API {version}, which Meta stops on {} \
                     ({when}): after that, sending from it may fail until it is moved; {fix}.",
                    ends.format("%-d %B %Y")
                ),
            })
        }
        Ok(Standing::Ended { ended }) => Some(Warning {
            stage: 0,
            text: format!(
                "The line {number} uses WhatsApp's API {version}, which Meta stopped{}: \
                 messages may fail until it is moved; {fix}.",
                ended
                    .map(|d| format!(" on {}", d.format("%-d %B %Y")))
                    .unwrap_or_default()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn versions_are_read_as_meta_writes_them() {
        assert_eq!(parse("v25.0"), Ok(25));
        assert_eq!(parse("v9.0"), Ok(9));
        for bad in [
            "25.0", "v25", "v25.1", "V25.0", "v.0", "v-1.0", "v25.0 ", "",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_schedule_is_newest_first_and_the_default_lasts() {
        assert!(VERSIONS.windows(2).all(|w| w[0].major == w[1].major + 1));
        assert!(VERSIONS.iter().skip(1).all(|v| v.ends.is_some()));
        assert_eq!(
            standing(DEFAULT, d("2026-12-05")),
            Ok(Standing::Supported {
                ends: Some(d("2028-07-29"))
            })
        );
    }

    #[test]
    fn v21_ends_on_21_january_2027() {
        // 47 days before: ending soon.
        assert_eq!(
            standing("v21.0", d("2026-12-05")),
            Ok(Standing::EndingSoon {
                ends: d("2027-01-21"),
                days_left: 47
            })
        );
        assert_eq!(
            standing("v21.0", d("2027-01-20")),
            Ok(Standing::EndingSoon {
                ends: d("2027-01-21"),
                days_left: 1
            })
        );
        assert_eq!(
            standing("v21.0", d("2027-01-21")),
            Ok(Standing::Ended {
                ended: Some(d("2027-01-21"))
            })
        );
        // 91 days before: not yet.
        assert_eq!(
            standing("v21.0", d("2026-10-22")),
            Ok(Standing::Supported {
                ends: Some(d("2027-01-21"))
            })
        );
        assert_eq!(
            standing("v21.0", d("2026-10-23")),
            Ok(Standing::EndingSoon {
                ends: d("2027-01-21"),
                days_left: 90
            })
        );
    }

    #[test]
    fn versions_beyond_the_table() {
        assert_eq!(
            standing("v30.0", d("2026-12-05")),
            Ok(Standing::Supported { ends: None })
        );
        assert_eq!(
            standing("v12.0", d("2026-12-05")),
            Ok(Standing::Ended { ended: None })
        );
        assert_eq!(
            standing("v26.0", d("2030-01-01")),
            Ok(Standing::Supported { ends: None })
        );
    }

    #[test]
    fn the_owner_is_told_at_90_30_7_and_1_days_and_when_it_ended() {
        let stage = |today| warning("v21.0", "+1 555-000-1111", "o-1", d(today)).map(|w| w.stage);
        assert_eq!(stage("2026-10-22"), None);
        assert_eq!(stage("2026-10-23"), Some(90));
        assert_eq!(stage("2026-12-05"), Some(90));
        assert_eq!(stage("2026-12-22"), Some(30));
        assert_eq!(stage("2027-01-14"), Some(7));
        assert_eq!(stage("2027-01-20"), Some(1));
        assert_eq!(stage("2027-01-21"), Some(0));
        let w = warning("v21.0", "+1 555-000-1111", "o-1", d("2026-12-05")).unwrap();
        assert_eq!(
            w.text,
            "The line +1 555-000-1111 uses WhatsApp's API v21.0, which Meta stops on 21 January \
             2027 (in 47 days): after that, sending from it may fail until it is moved; an \
             administrator can move it with `multiline-connector line set-api-version --org o-1 \
             v25.0`."
        );
        let ended = warning("v21.0", "+1", "o-1", d("2027-02-01")).unwrap().text;
        assert!(
            ended.contains("which Meta stopped on 21 January 2027"),
            "{ended}"
        );
        assert!(warning("v25.0", "+1", "o-1", d("2026-12-05")).is_none());
        let unreadable = warning("25", "+1", "o-1", d("2026-12-05")).unwrap();
        assert_eq!(unreadable.stage, 0);
        assert!(
            unreadable.text.contains("not a Graph API version"),
            "{}",
            unreadable.text
        );
    }
}
