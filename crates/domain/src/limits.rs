//! Every free-text field's longest accepted value, in one table: the connector refuses
//! longer input with a clear sentence before it is stored, audited or copied anywhere, and
//! the app's forms use the same numbers. (What Meta limits, a message's text, a caption, a
//! template's parts, is in [`crate::policy`] and [`crate::templates`].)

/// Characters (Unicode scalar values) a field may have at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// How a refusal names the field: "A company".
    pub what: &'static str,
    pub max_chars: usize,
}

impl Limit {
    /// `Err` with the sentence a user reads when `value` is too long.
    pub fn check(self, value: &str) -> Result<(), String> {
        if value.chars().count() > self.max_chars {
            Err(format!(
                "{} can have at most {} characters.",
                self.what, self.max_chars
            ))
        } else {
            Ok(())
        }
    }
}

/// A contact's name.
pub const CONTACT_NAME: Limit = Limit {
    what: "A name",
    max_chars: 200,
};
/// A contact's company.
pub const COMPANY: Limit = Limit {
    what: "A company",
    max_chars: 200,
};
/// A contact's notes.
pub const NOTES: Limit = Limit {
    what: "Notes",
    max_chars: 4000,
};
/// A phone number's label ("mobile", "work").
pub const PHONE_LABEL: Limit = Limit {
    what: "A number's label",
    max_chars: 40,
};
/// A user's or an organization's name.
pub const ACCOUNT_NAME: Limit = Limit {
    what: "A name",
    max_chars: 200,
};
/// An email address (RFC 5321's path limit).
pub const EMAIL: Limit = Limit {
    what: "An email address",
    max_chars: 254,
};
/// A password: long passphrases are welcome; megabytes to hash are not.
pub const PASSWORD: Limit = Limit {
    what: "A password",
    max_chars: 1024,
};
/// A search in the address book.
pub const SEARCH: Limit = Limit {
    what: "A search",
    max_chars: 200,
};
/// One consent or opt-out word.
pub const KEYWORD: Limit = Limit {
    what: "A keyword",
    max_chars: 40,
};

/// The table, for the docs and the tests: every limit above.
pub const ALL: &[(&str, Limit)] = &[
    ("contact name", CONTACT_NAME),
    ("contact company", COMPANY),
    ("contact notes", NOTES),
    ("phone label", PHONE_LABEL),
    ("user or organization name", ACCOUNT_NAME),
    ("email", EMAIL),
    ("password", PASSWORD),
    ("contact search", SEARCH),
    ("consent or opt-out keyword", KEYWORD),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(PHONE_LABEL.check(&"é".repeat(40)).is_ok());
        assert_eq!(
            PHONE_LABEL.check(&"é".repeat(41)),
            Err("A number's label can have at most 40 characters.".to_owned())
        );
    }
}
