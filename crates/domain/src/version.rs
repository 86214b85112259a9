//! Versions that agree: the app names its version on every request
//! ([`crate::api::APP_VERSION_HEADER`]), the connector answers its own and the oldest app it
//! serves (`GET /v1/version`), and an app older than that is told what to do instead of
//! failing oddly. An app newer than its connector keeps working with what the connector has.

/// This build's version (the workspace's: the app, the connector and the client share it).
pub const THIS: &str = env!("CARGO_PKG_VERSION");

/// Is `app` older than `min`? Versions that are not semantic versions (`dev`, empty) are
/// never too old: only a version the connector can read is refused.
pub fn is_older(app: &str, min: &str) -> bool {
    match (
        semver::Version::parse(app.trim()),
        semver::Version::parse(min.trim()),
    ) {
        (Ok(app), Ok(min)) => app < min,
        _ => false,
    }
}

/// What an app too old for its connector says, and what to do.
pub fn too_old_message(app: &str, min: &str) -> String {
    format!(
        "This MultiLine app ({app}) is older than your organization's connector accepts: \
         install MultiLine {min} or newer, then sign in again."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_compares_as_semantic_versions_not_as_text() {
        assert!(is_older("0.1.0", "0.2.0"));
        assert!(
            is_older("0.9.0", "0.10.0"),
            "9 < 10, though '9' > '1' as text"
        );
        assert!(
            is_older("1.0.0-beta.1", "1.0.0"),
            "a pre-release comes before"
        );
        assert!(!is_older("0.2.0", "0.2.0"));
        assert!(!is_older("0.10.0", "0.9.0"));
        assert!(!is_older("99.0.0", THIS), "a newer app is served");
    }

    #[test]
    fn an_unreadable_version_is_not_refused() {
        assert!(!is_older("dev", "0.2.0"));
        assert!(!is_older("", "0.2.0"));
        assert!(!is_older("0.1.0", "soon"));
    }

    #[test]
    fn the_message_says_which_version_to_install() {
        let message = too_old_message("0.1.0", "0.2.0");
        assert!(message.contains("(0.1.0)") && message.contains("install MultiLine 0.2.0"));
    }
}
