//! Passwords, tokens and login throttling. Passwords are hashed with argon2id; session tokens and sync
//! tickets are 32 random bytes given to the client once and stored only as their SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Hashes a password with argon2id and a random salt.
///
/// # Errors
/// Only if the platform has no random source or argon2 rejects its parameters.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies a password off the async threads, a few at a time: each argon2 check takes 19 MiB for a moment,
/// so a burst of logins (a whole county after a power cut) must queue rather than all run at once.
///
/// # Errors
/// Only if the blocking task panicked.
pub async fn verify_password_queued(password: String, hash: String) -> anyhow::Result<bool> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    });
    let _slot = slots.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await?)
}

/// A fresh secret: 32 random bytes as 64 hex digits.
///
/// # Panics
/// Only if the operating system has no random source.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS provides randomness");
    hex::encode(bytes)
}

/// The stored form of a token or ticket.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Failed logins are counted per username and per client address in a sliding window; past the limit
/// further attempts are refused until the window has passed.
pub struct LoginThrottle {
    window: Duration,
    per_user: u32,
    per_ip: u32,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    /// At most `per_user` failures per username and `per_ip` per address within `window`.
    pub fn new(window: Duration, per_user: u32, per_ip: u32) -> Self {
        Self {
            window,
            per_user,
            per_ip,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` if this username or address is throttled now.
    pub fn check(&self, username: &str, ip: &str) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, limit) in [
            (format!("u:{username}"), self.per_user),
            (format!("ip:{ip}"), self.per_ip),
        ] {
            let list = failures.entry(key).or_default();
            list.retain(|t| now.duration_since(*t) < self.window);
            if list.len() >= limit as usize {
                let oldest = list[0];
                let left = self
                    .window
                    .saturating_sub(now.duration_since(oldest))
                    .as_secs()
                    .max(1);
                wait = Some(wait.map_or(left, |w: u64| w.max(left)));
            }
        }
        // Forget names and addresses whose failures have all aged out, so guessing cannot grow the map.
        failures.retain(|_, list| {
            list.retain(|t| now.duration_since(*t) < self.window);
            !list.is_empty()
        });
        wait
    }

    /// Records a failed attempt.
    pub fn fail(&self, username: &str, ip: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures
            .entry(format!("u:{username}"))
            .or_default()
            .push(now);
        failures.entry(format!("ip:{ip}")).or_default().push(now);
    }

    /// Clears a username's failures after a successful login.
    pub fn succeed(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&format!("u:{username}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("村医2026").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("村医2026", &hash));
        assert!(!verify_password("村医2027", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let a = new_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret());
        assert_ne!(secret_hash(&a), a);
        assert_eq!(secret_hash(&a), secret_hash(&a));
    }

    #[test]
    fn throttling_counts_per_user_and_per_address() {
        let t = LoginThrottle::new(Duration::from_secs(60), 3, 5);
        for _ in 0..3 {
            assert!(t.check("wang", "1.1.1.1").is_none());
            t.fail("wang", "1.1.1.1");
        }
        assert!(
            t.check("wang", "2.2.2.2").is_some(),
            "per user, from any address"
        );
        assert!(t.check("li", "1.1.1.1").is_none());
        t.fail("li", "1.1.1.1");
        t.fail("zhao", "1.1.1.1");
        assert!(
            t.check("qian", "1.1.1.1").is_some(),
            "five failures from one address"
        );
        t.succeed("wang");
        assert!(t.check("wang", "3.3.3.3").is_none());
    }
}
