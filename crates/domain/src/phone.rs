//! Phone numbers. Contacts store E.164 (`+15551234567`); the Cloud API speaks `wa_id`
//! (the same digits without `+`). Parsing and validation are the `phonenumber` crate's
//! (libphonenumber's metadata), never hand-written.
//!
//! A number is validated where it enters the system: typed by a person, sent by Meta or a
//! carrier, or given to the connector for a contact ([`E164::parse`], [`E164::validate`]).
//! Reading back what the system wrote (a cache, a store, the connector's answers) checks the
//! E.164 form only ([`E164::from_stored`], and so `Deserialize`): libphonenumber compiles
//! and keeps a regex per region and number type (about 16 MB in the app once a +1 number has
//! been parsed: every NANPA region is tried), and a 10,000-thread list would otherwise
//! validate 10,000 numbers at every load.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A phone number in E.164 form, validated where it entered the system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, type = "string")]
pub struct E164(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("\"{input}\" is not a phone number")]
    Unparseable { input: String },
    #[error("\"{input}\" is not a valid number for its country")]
    Invalid { input: String },
}

impl E164 {
    /// Parses what a person typed. Without a leading `+` the number is read in
    /// `default_region` (an ISO 3166 code such as "US"; `None` requires a `+`).
    pub fn parse(input: &str, default_region: Option<&str>) -> Result<Self, PhoneError> {
        let region = default_region.and_then(|r| r.parse::<phonenumber::country::Id>().ok());
        let number = phonenumber::parse(region, input).map_err(|_| PhoneError::Unparseable {
            input: input.to_owned(),
        })?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid {
                input: input.to_owned(),
            });
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        // The phonenumber crate strips a trunk prefix even from a number written with its
        // country code ("+7 8 ..."), and can then turn a number into one it does not itself
        // accept ("+7888330000000" became "+78330000000", which it refuses). A number is only
        // taken in the form that reads back as itself, so storing and reading it again agree.
        let again = phonenumber::parse(None, &e164).ok();
        if again.as_ref().is_none_or(|n| {
            !phonenumber::is_valid(n)
                || n.format().mode(phonenumber::Mode::E164).to_string() != e164
        }) {
            return Err(PhoneError::Invalid {
                input: input.to_owned(),
            });
        }
        Ok(Self(e164))
    }

    /// A number this system wrote (so validated when it entered): checks the E.164 form only,
    /// `+` and 7 to 15 digits, the first not 0.
    pub fn from_stored(s: &str) -> Result<Self, PhoneError> {
        let digits = s.strip_prefix('+').unwrap_or_default();
        let form = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if form {
            Ok(Self(s.to_owned()))
        } else {
            Err(PhoneError::Unparseable {
                input: s.to_owned(),
            })
        }
    }

    /// Validates a number that came in by its form only (a request's body): is it a
    /// dialable number for its country? Returns it as libphonenumber writes it, which can
    /// differ (`+4407911123456`, a trunk 0 kept, is `+447911123456`).
    pub fn validate(&self) -> Result<E164, PhoneError> {
        Self::parse(&self.0, None)
    }

    /// From the Cloud API's `wa_id` (digits, no `+`). Meta is the authority on its ids: the
    /// form is checked, not the numbering plan. A `wa_id` need not be a number a phone
    /// library calls valid (Meta rewrites Brazilian and Mexican mobile prefixes), and a
    /// guest is never refused for it.
    pub fn from_wa_id(wa_id: &str) -> Result<Self, PhoneError> {
        Self::from_stored(&format!("+{wa_id}")).map_err(|_| PhoneError::Unparseable {
            input: wa_id.to_owned(),
        })
    }

    /// The Cloud API's `wa_id` form: the digits without `+`.
    pub fn wa_id(&self) -> &str {
        &self.0[1..]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As people write it, grouped for its country: `+1 202-555-0147`, `+44 7911 123456`.
    /// The E.164 form when the numbering plan does not know it.
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.0)
            .map(|n| {
                n.format()
                    .mode(phonenumber::Mode::International)
                    .to_string()
            })
            .unwrap_or_else(|_| self.0.clone())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for E164 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserializing checks the E.164 form ([`E164::from_stored`]); where a deserialized number
/// comes from outside, [`E164::validate`] it.
impl<'de> Deserialize<'de> for E164 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::from_stored(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_national_and_international_forms_to_e164() {
        let cases = [
            ("+1 (202) 555-0147", None, "+12025550147"),
            ("202-555-0147", Some("US"), "+12025550147"),
            ("+44 7911 123456", None, "+447911123456"),
            ("06 12 34 56 78", Some("FR"), "+33612345678"),
        ];
        for (input, region, want) in cases {
            assert_eq!(
                E164::parse(input, region).unwrap().as_str(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_garbage_and_impossible_numbers() {
        assert!(matches!(
            E164::parse("call me", None),
            Err(PhoneError::Unparseable { .. })
        ));
        assert!(matches!(
            E164::parse("+1 555", None),
            Err(PhoneError::Invalid { .. })
        ));
        assert!(
            E164::parse("2025550147", None).is_err(),
            "no region and no +"
        );
    }

    proptest::proptest! {
        /// Normalising a number twice changes nothing.
        #[test]
        fn normalising_twice_changes_nothing(digits in "[1-9][0-9]{6,13}", spaced in proptest::bool::ANY) {
            let input = if spaced { format!("+{} {}", &digits[..2], &digits[2..]) } else { format!("+{digits}") };
            if let Ok(once) = E164::parse(&input, None) {
                let twice = E164::parse(once.as_str(), None).unwrap();
                proptest::prop_assert_eq!(&twice, &once);
                proptest::prop_assert_eq!(E164::from_wa_id(once.wa_id()).unwrap(), once);
            }
        }
    }

    #[test]
    fn a_number_the_library_would_not_read_back_is_refused() {
        // Found by the property below: the trunk 8 stripped after +7 left a number the
        // library itself refuses.
        assert!(matches!(
            E164::parse("+7888330000000", None),
            Err(PhoneError::Invalid { .. })
        ));
        // A trunk 0 after +44 is still taken, as the number it stands for.
        assert_eq!(
            E164::parse("+4407911123456", None).unwrap().as_str(),
            "+447911123456"
        );
    }

    #[test]
    fn a_stored_number_is_checked_for_its_form_only() {
        assert_eq!(
            E164::from_stored("+12025550147").unwrap(),
            E164::parse("+12025550147", None).unwrap()
        );
        for bad in [
            "12025550147",
            "+1 202 555 0147",
            "+0123456789",
            "+123456",
            "+1234567890123456",
            "+",
            "",
        ] {
            assert!(E164::from_stored(bad).is_err(), "{bad:?}");
        }
        // The form is right, the number is not: validate says so.
        let unassigned = E164::from_stored("+11115550147").unwrap();
        assert!(matches!(
            unassigned.validate(),
            Err(PhoneError::Invalid { .. })
        ));
        assert_eq!(
            E164::from_stored("+447911123456").unwrap().validate(),
            E164::parse("+447911123456", None)
        );
        // A trunk 0 kept after the country code is valid, in another form.
        assert_eq!(
            E164::from_stored("+4407911123456").unwrap().validate(),
            E164::parse("+447911123456", None)
        );
        let json: Result<E164, _> = serde_json::from_str("\"+1 (202) 555-0147\"");
        assert!(json.is_err(), "deserializing takes the E.164 form only");
    }

    #[test]
    fn wa_id_round_trips() {
        let n = E164::parse("+12025550147", None).unwrap();
        assert_eq!(n.wa_id(), "12025550147");
        assert_eq!(E164::from_wa_id("12025550147").unwrap(), n);
        assert!(E164::from_wa_id("+12025550147").is_err());
        assert!(E164::from_wa_id("US.13491208655302741918").is_err());
    }

    #[test]
    fn a_wa_id_a_phone_library_calls_invalid_is_still_a_guest() {
        // Meta's form of a Brazilian mobile without its ninth digit, and an unassigned +1
        // number: libphonenumber refuses both; Meta is the authority on its ids.
        for wa_id in ["551187654321", "11115550147"] {
            let n = E164::from_wa_id(wa_id).unwrap();
            assert_eq!(n.wa_id(), wa_id);
        }
        assert!(E164::parse("+11115550147", None).is_err());
    }

    #[test]
    fn international_groups_the_digits_as_the_country_writes_them() {
        let us = E164::parse("+12025550147", None).unwrap();
        assert_eq!(us.international(), "+1 202-555-0147");
        let uk = E164::parse("+447911123456", None).unwrap();
        assert_eq!(uk.international(), "+44 7911 123456");
        let unknown = E164::from_stored("+99912345678").unwrap();
        assert_eq!(unknown.international(), "+99912345678");
    }
}
