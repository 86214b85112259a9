//! Secrets at rest: a line's access token, app secret and verify token, and its carrier's
//! auth token, are sealed (ChaCha20-Poly1305, a random nonce each time) before they are
//! stored, and opened when read. The key is 32 bytes, base64: `MULTILINE_SECRET_KEY`, or
//! the file `MULTILINE_SECRET_KEY_FILE`, or `secret.key` beside the store (made, 0600, the
//! first time). A stored value reads `sealed:v1:<key id>:<base64 nonce and ciphertext>`;
//! the key id (the first 8 hex digits of the key's SHA-256) says which key sealed it, so a
//! previous key (`MULTILINE_SECRET_KEY_PREVIOUS`, or `secret.key.previous`) still opens
//! what it sealed until everything is sealed again with the current one (at every open of
//! the store; `multiline-connector rotate-key` makes a new key and does it).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const PREFIX: &str = "sealed:v1:";

/// One key: its id and its cipher.
struct SealKey {
    id: String,
    cipher: ChaCha20Poly1305,
}

impl SealKey {
    fn new(bytes: &[u8; 32]) -> SealKey {
        SealKey {
            id: hex::encode(&Sha256::digest(bytes)[..4]),
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
        }
    }

    fn parse(text: &str, from: &str) -> Result<SealKey> {
        let bytes = B64
            .decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| Error::corrupt(format!("{from} is not 32 bytes in base64")))?;
        Ok(SealKey::new(&bytes))
    }
}

/// Seals and opens the store's secrets.
pub struct Sealer {
    current: SealKey,
    previous: Option<SealKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

/// A new key, base64 (what `rotate-key` writes or prints).
pub fn new_key() -> String {
    B64.encode(ChaCha20Poly1305::generate_key(&mut OsRng))
}

/// Where the key file of the store at `store` is (unless `MULTILINE_SECRET_KEY_FILE`).
pub fn key_file(store: &Path) -> PathBuf {
    std::env::var_os("MULTILINE_SECRET_KEY_FILE")
        .map_or_else(|| store.with_file_name("secret.key"), PathBuf::from)
}

fn previous_file(key_file: &Path) -> PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(".previous");
    PathBuf::from(name)
}

/// Writes `text` to a new file only the owner may read.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

impl Sealer {
    /// The keys for the store at `store`: from the environment, or the key file (made the
    /// first time).
    pub fn load(store: &Path) -> Result<Sealer> {
        let backend = |e: std::io::Error| Error::Backend(Box::new(e));
        if let Ok(key) = std::env::var("MULTILINE_SECRET_KEY") {
            let previous = std::env::var("MULTILINE_SECRET_KEY_PREVIOUS")
                .ok()
                .map(|k| SealKey::parse(&k, "MULTILINE_SECRET_KEY_PREVIOUS"))
                .transpose()?;
            return Ok(Sealer {
                current: SealKey::parse(&key, "MULTILINE_SECRET_KEY")?,
                previous,
            });
        }
        let file = key_file(store);
        if !file.exists() {
            match write_private(&file, &new_key()) {
                Ok(()) => {}
                // Another process made it meanwhile: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(backend(e)),
            }
        }
        let read = |path: &Path| std::fs::read_to_string(path).map_err(backend);
        let current = SealKey::parse(&read(&file)?, &file.display().to_string())?;
        let old = previous_file(&file);
        let previous = if old.exists() {
            Some(SealKey::parse(&read(&old)?, &old.display().to_string())?)
        } else {
            None
        };
        Ok(Sealer { current, previous })
    }

    /// A sealer with one given key (tests).
    pub fn with_key(key: &[u8; 32]) -> Sealer {
        Sealer {
            current: SealKey::new(key),
            previous: None,
        }
    }

    /// `plain`, sealed with the current key.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .current
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("sealing in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{}:{}", self.current.id, B64.encode(bytes))
    }

    /// A stored value, opened. A value stored before sealing (no prefix) reads as it is.
    pub fn open(&self, stored: &str) -> Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (id, body) = rest
            .split_once(':')
            .ok_or_else(|| Error::corrupt("a sealed secret without its key id"))?;
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == id)
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "a secret sealed with key {id}, which this connector does not have (its \
                     key is {}): every instance on one database needs the same \
                     MULTILINE_SECRET_KEY; after a rotation, set MULTILINE_SECRET_KEY_PREVIOUS \
                     or restore secret.key.previous",
                    self.current.id
                ))
            })?;
        let bytes = B64
            .decode(body)
            .map_err(|_| Error::corrupt("a sealed secret that is not base64"))?;
        if bytes.len() < 12 {
            return Err(Error::corrupt("a sealed secret too short for its nonce"));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| Error::corrupt("a sealed secret that does not open (altered?)"))?;
        String::from_utf8(plain).map_err(|_| Error::corrupt("a sealed secret that is not text"))
    }

    /// A line as stored, its secrets opened (the access token, app secret, verify token and
    /// the carrier's auth token).
    pub fn open_line(&self, mut line: crate::store::Line) -> Result<crate::store::Line> {
        line.access_token = self.open(&line.access_token)?;
        line.app_secret = self.open(&line.app_secret)?;
        line.verify_token = self.open(&line.verify_token)?;
        if let Some(c) = line.carrier.as_mut() {
            c.auth_token = self.open(&c.auth_token)?;
        }
        Ok(line)
    }

    /// Whether `stored` is sealed with the current key (else sealing it again is due).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.current.id)
    }
}

/// `rotate-key` for a key file: the current key becomes the previous one, a new key the
/// current one; opening the store then seals every secret again with it, after which the
/// previous key file is removed. Answers the new key's file.
pub fn rotate_key_file(store: &Path) -> Result<PathBuf> {
    let backend = |e: std::io::Error| Error::Backend(Box::new(e));
    if std::env::var_os("MULTILINE_SECRET_KEY").is_some() {
        return Err(Error::invalid(
            multiline_domain::errors::ErrorCode::InvalidRequest,
            format!(
                "the key comes from MULTILINE_SECRET_KEY: set MULTILINE_SECRET_KEY_PREVIOUS to \
                 it and MULTILINE_SECRET_KEY to a new one (here is one: {}), then run \
                 rotate-key again",
                new_key()
            ),
        ));
    }
    let file = key_file(store);
    let old = previous_file(&file);
    if old.exists() {
        return Err(Error::invalid(
            multiline_domain::errors::ErrorCode::InvalidRequest,
            format!(
                "{} exists: a rotation did not finish; run rotate-key again after the store \
                 opened once",
                old.display()
            ),
        ));
    }
    if file.exists() {
        std::fs::rename(&file, &old).map_err(backend)?;
    }
    write_private(&file, &new_key()).map_err(backend)?;
    Ok(file)
}

/// After every secret is sealed with the current key: the previous key file is not needed.
pub fn forget_previous(store: &Path) -> Result<()> {
    let old = previous_file(&key_file(store));
    match std::fs::remove_file(&old) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Backend(Box::new(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_refuses_what_was_altered() {
        let s = Sealer::with_key(&[7; 32]);
        let sealed = s.seal("EAAG-access-token");
        assert!(sealed.starts_with("sealed:v1:"));
        assert!(!sealed.contains("EAAG"));
        assert_ne!(
            sealed,
            s.seal("EAAG-access-token"),
            "a fresh nonce each time"
        );
        assert_eq!(s.open(&sealed).unwrap(), "EAAG-access-token");
        assert!(s.is_current(&sealed));
        assert_eq!(s.open("plain-from-before").unwrap(), "plain-from-before");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(s.open(&altered).is_err());
        let other = Sealer::with_key(&[8; 32]);
        assert!(other.open(&sealed).is_err(), "another key does not open it");
    }
}
