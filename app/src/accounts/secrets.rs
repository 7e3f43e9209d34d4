//! Secrets of accounts: argon2id hashes of passwords and client secrets, and new client ids and secrets.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::AppError;

/// Hashes a password or client secret with argon2id (default parameters, random salt).
pub fn hash_secret(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(secret.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

/// Checks a secret against a stored PHC string.
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(secret.as_bytes(), &hash).is_ok())
}

/// A hash of a random secret, verified against when the login does not exist so that unknown and known
/// logins take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("dummy-secret-that-matches-nothing").unwrap_or_default())
}

/// A new client secret: 32 random bytes, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

/// A new client id: `svc-` and 8 random bytes in hex.
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("svc-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify() {
        let hash = hash_secret("correct horse").unwrap();
        assert!(verify_secret("correct horse", &hash));
        assert!(!verify_secret("wrong", &hash));
        assert!(!verify_secret("x", "not a hash"));
    }

    #[test]
    fn new_ids_and_secrets_differ() {
        assert_ne!(new_secret(), new_secret());
        let id = new_client_id();
        assert!(id.starts_with("svc-") && id.len() == 20, "{id}");
    }
}
