//! Checking passwords in bounded memory. Argon2id needs a large block of memory per hash
//! (19 MiB with the default parameters): allocated afresh for every sign-in, a flood of them
//! grows the process by hundreds of MiB that the allocator keeps. Here a fixed number of
//! [`Slot`]s each own one block, reused from sign-in to sign-in: at most
//! [`PASSWORD_SLOTS`] hashes run at once, and a sign-in flood waits its turn instead of
//! growing the process.

use std::sync::{Arc, Mutex};

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Password hashes computed at once.
pub const PASSWORD_SLOTS: usize = 2;

/// The memory a hash is computed in; grows to the largest parameters seen, then stays.
#[derive(Default)]
pub struct Memory(Vec<Block>);

/// The slots: a semaphore, and the memory of the slots not in use.
pub struct Slots {
    permits: Arc<tokio::sync::Semaphore>,
    free: Mutex<Vec<Memory>>,
}

impl Default for Slots {
    fn default() -> Self {
        Slots {
            permits: Arc::new(tokio::sync::Semaphore::new(PASSWORD_SLOTS)),
            free: Mutex::new((0..PASSWORD_SLOTS).map(|_| Memory::default()).collect()),
        }
    }
}

/// One slot in use: its memory goes back when it is dropped.
pub struct Slot {
    memory: Option<Memory>,
    home: Arc<Slots>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Slot {
    pub fn memory(&mut self) -> &mut Memory {
        self.memory.get_or_insert_with(Memory::default)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(memory) = self.memory.take() {
            self.home
                .free
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(memory);
        }
    }
}

impl Slots {
    /// Waits up to `wait` for a free slot.
    pub async fn take(self: &Arc<Self>, wait: std::time::Duration) -> Option<Slot> {
        let permit = tokio::time::timeout(wait, self.permits.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        let memory = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        Some(Slot {
            memory,
            home: self.clone(),
            _permit: permit,
        })
    }
}

/// Whether `password` is the one `phc` (an argon2 PHC string) was made from, computed in
/// `memory`, in constant time over the result.
pub fn verify(memory: &mut Memory, password: &str, phc: &str) -> Result<bool> {
    let hash = PasswordHash::new(phc).map_err(Error::corrupt)?;
    let algorithm = Algorithm::try_from(hash.algorithm).map_err(Error::corrupt)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(Error::corrupt)?
        .unwrap_or_default();
    let params = Params::try_from(&hash).map_err(Error::corrupt)?;
    let expected = hash
        .hash
        .ok_or_else(|| Error::corrupt("a password hash without its output"))?;
    let salt = hash
        .salt
        .ok_or_else(|| Error::corrupt("a password hash without its salt"))?;
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(Error::corrupt)?;
    let blocks = params.block_count();
    if memory.0.len() < blocks {
        memory.0.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory.0[..blocks],
        )
        .map_err(Error::corrupt)?;
    Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;

    #[test]
    fn verifies_what_argon2_hashed_and_nothing_else() {
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let phc = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        let mut memory = Memory::default();
        assert!(verify(&mut memory, "correct horse battery", &phc).unwrap());
        assert!(!verify(&mut memory, "correct horse batterY", &phc).unwrap());
        assert!(verify(&mut memory, "correct horse battery", &phc).unwrap());
        assert!(verify(&mut memory, "x", "not a hash").is_err());
    }
}
