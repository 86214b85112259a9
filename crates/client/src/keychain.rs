//! The session token in the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), through the `keyring` crate. Never in SQLite, logs or the
//! webview. Calls block (D-Bus round trips): run them on blocking threads.

/// The keychain "service" every MultiLine token is filed under.
pub const SERVICE: &str = "com.multiline.whatsapp";

#[derive(Debug, thiserror::Error)]
#[error("the OS keychain failed: {0}")]
pub struct KeychainError(#[from] keyring::Error);

/// Tokens filed under one service name, one per account.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain {
            service: SERVICE.to_owned(),
        }
    }
}

/// The keychain account of a user at a connector: the same email at two connectors are two
/// accounts.
pub fn account(connector_url: &str, email: &str) -> String {
    format!(
        "{}|{}",
        connector_url.trim_end_matches('/'),
        email.trim().to_lowercase()
    )
}

impl Keychain {
    /// A keychain under another service name (tests use their own).
    pub fn with_service(service: &str) -> Keychain {
        Keychain {
            service: service.to_owned(),
        }
    }

    pub fn save(&self, account: &str, token: &str) -> Result<(), KeychainError> {
        Ok(keyring::Entry::new(&self.service, account)?.set_password(token)?)
    }

    /// The token of `account`, if one is stored.
    pub fn load(&self, account: &str) -> Result<Option<String>, KeychainError> {
        match keyring::Entry::new(&self.service, account)?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Forgets the token of `account` (signing out); nothing stored is fine.
    pub fn delete(&self, account: &str) -> Result<(), KeychainError> {
        match keyring::Entry::new(&self.service, account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
