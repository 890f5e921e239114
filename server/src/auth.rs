//! Passwords, tokens and login throttling. Passwords are hashed with argon2id; session tokens and sync
//! tickets are 32 random bytes given to the client once and stored only as their SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

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

/// Attempts an account may fail before each further attempt waits.
const ACCOUNT_FREE_TRIES: i64 = 5;
/// Attempts one client address may fail (a clinic's NAT serves many users) before each waits.
const ADDRESS_FREE_TRIES: i64 = 30;

/// How long an account waits after `failures` failed attempts: nothing for the first five, then 1 s
/// doubling to at most 15 minutes. Growing delays instead of a lockout: the owner gets in once the guessing
/// stops.
pub fn account_delay_ms(failures: i64) -> i64 {
    growing_delay(failures, ACCOUNT_FREE_TRIES, 15 * 60 * 1000)
}

/// How long every attempt from one address waits after `failures` failed attempts from it: nothing for the
/// first thirty, then 1 s doubling to at most 30 s, so made-up names from a shared address slow guessing
/// down without locking out the colleagues behind that address.
pub fn address_delay_ms(failures: i64) -> i64 {
    growing_delay(failures, ADDRESS_FREE_TRIES, 30 * 1000)
}

fn growing_delay(failures: i64, free: i64, cap: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = u32::try_from((failures - free).min(30)).unwrap_or(30);
    1000_i64.saturating_mul(1 << doublings).min(cap)
}

/// The client's address: the socket's peer, or — when the peer is a trusted reverse proxy — the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_addr(
    peer: std::net::IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .into_iter()
        .flat_map(|h| h.rsplit(','))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
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
    fn delays_grow_after_the_free_tries_and_stay_capped() {
        assert_eq!(account_delay_ms(4), 0);
        assert_eq!(account_delay_ms(5), 1000);
        assert_eq!(account_delay_ms(7), 4000);
        assert_eq!(account_delay_ms(1000), 15 * 60 * 1000);
        assert_eq!(address_delay_ms(29), 0);
        assert_eq!(address_delay_ms(30), 1000);
        assert_eq!(address_delay_ms(10_000), 30_000);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let client: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        let header = Some("198.51.100.9, 203.0.113.7");
        assert_eq!(
            client_addr(proxy, header, &[]),
            proxy,
            "untrusted peer: header ignored"
        );
        assert_eq!(
            client_addr(proxy, header, &[proxy]),
            client,
            "last untrusted hop"
        );
        assert_eq!(client_addr(client, header, &[proxy]), client);
        assert_eq!(client_addr(proxy, Some("junk"), &[proxy]), proxy);
    }
}
