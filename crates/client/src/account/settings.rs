//! What the app remembers between runs (`settings.json` in its data folder): the connector
//! and the email last signed in with. Never a password or a token.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// The connector signed in to last; `None`: the demo (its address changes each run).
    pub connector_url: Option<String>,
    pub email: String,
}

impl Settings {
    pub fn is_demo(&self) -> bool {
        self.connector_url.is_none()
    }

    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("settings.json")
    }

    /// The settings kept in `data_dir`; the defaults when there are none or they cannot be
    /// read.
    pub fn load(data_dir: &Path) -> Settings {
        std::fs::read(Settings::path(data_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Keeps the settings; a failure is logged (the app works on, and asks again next run).
    pub fn save(&self, data_dir: &Path) {
        let json = serde_json::to_vec_pretty(self).expect("settings serialize");
        if let Err(error) = std::fs::create_dir_all(data_dir)
            .and_then(|()| std::fs::write(Settings::path(data_dir), json))
        {
            tracing::warn!(%error, "could not save the app's settings");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_back_as_saved_and_unreadable_ones_are_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        let saved = Settings {
            connector_url: Some("https://c.example.com".into()),
            email: "alex@northwind.example".into(),
        };
        saved.save(dir.path());
        assert_eq!(Settings::load(dir.path()), saved);
        std::fs::write(dir.path().join("settings.json"), b"{ not json").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }
}
