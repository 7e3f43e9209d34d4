//! Authentication: JWT issue and validation (algorithm pinned; exp, iss and aud required) and the `Caller`
//! extractor that every protected handler takes (the account behind the token is looked up by
//! [`app::accounts::login::authenticate`]; argon2 hashes are in [`app::accounts::secrets`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::{ErrorCode, Permission};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::JwtKeys;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::state::AppState;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Login (username or client id).
    pub sub: String,
    /// `user` or `service`.
    pub kind: String,
    /// Role code at issue time.
    pub role: String,
    /// Jurisdiction code at issue time.
    pub jurisdiction: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires (seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Generation of the account's credentials at issue; a password change or secret rotation raises the stored
    /// one and the token stops working. Absent (0) in tokens issued before generations existed.
    #[serde(rename = "gen", default)]
    pub generation: i64,
}

/// Keys and validation rules for tokens.
#[derive(Clone)]
pub struct TokenKeys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    /// Builds keys from configuration; fails on unreadable PEM.
    pub fn new(keys: &JwtKeys) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(match keys {
            JwtKeys::Secret(secret) => Self {
                algorithm: Algorithm::HS256,
                encoding: EncodingKey::from_secret(secret),
                decoding: DecodingKey::from_secret(secret),
            },
            JwtKeys::KeyPair { algorithm, private_pem, public_pem } => {
                let (encoding, decoding) = match algorithm {
                    Algorithm::RS256 => {
                        (EncodingKey::from_rsa_pem(private_pem)?, DecodingKey::from_rsa_pem(public_pem)?)
                    }
                    Algorithm::ES256 => (EncodingKey::from_ec_pem(private_pem)?, DecodingKey::from_ec_pem(public_pem)?),
                    _ => (EncodingKey::from_ed_pem(private_pem)?, DecodingKey::from_ed_pem(public_pem)?),
                };
                Self { algorithm: *algorithm, encoding, decoding }
            }
        })
    }

    /// Signs claims.
    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Checks signature (only the configured algorithm), expiry, `nbf`, issuer and audience; a token issued in
    /// the future (`iat` beyond the leeway) is not yet valid either.
    pub fn verify(&self, token: &str, issuer: &str, audience: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        const LEEWAY: u64 = 5;
        let mut validation = Validation::new(self.algorithm);
        validation.algorithms = vec![self.algorithm];
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = LEEWAY;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)?.claims;
        if claims.iat > time::OffsetDateTime::now_utc().unix_timestamp() + LEEWAY as i64 {
            return Err(jsonwebtoken::errors::ErrorKind::ImmatureSignature.into());
        }
        Ok(claims)
    }
}

pub use app::accounts::secrets::{dummy_hash, hash_secret, verify_secret};

/// The authenticated caller ([`app::Caller`]) as the extractor every protected handler takes.
#[derive(Debug, Clone)]
pub struct Caller(pub app::Caller);

impl std::ops::Deref for Caller {
    type Target = app::Caller;

    fn deref(&self) -> &app::Caller {
        &self.0
    }
}

impl Caller {
    /// 403 unless the role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        Ok(self.0.require(permission)?)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_owned());
        let client_ip = crate::client_address::of(req);
        let request_id = req.extensions().get::<RequestContext>().map(|c| c.request_id.clone()).unwrap_or_default();
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or_else(|| ApiError::of(ErrorCode::MissingToken))?;
            let claims = state.tokens.verify(&token, &state.config.jwt_issuer, &state.config.jwt_audience).map_err(
                |e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => ApiError::of(ErrorCode::TokenExpired),
                    _ => ApiError::of(ErrorCode::InvalidToken),
                },
            )?;
            // The account from this process's copy while it is fresh (issue 20: at most 250 ms behind).
            let caller = match state.cache.cached_caller(
                &claims.sub,
                &claims.kind,
                claims.generation,
                client_ip.clone(),
                request_id.clone(),
            ) {
                Some(known) => known.map(Caller)?,
                None => {
                    let cache = state.cache.clone();
                    crate::db::run(&state.pool, move |conn| {
                        cache.authenticate(conn, &claims.sub, &claims.kind, claims.generation, client_ip, request_id)
                    })
                    .await
                    .map(Caller)?
                }
            };
            // Kept on the request so that a refused write can be audited with its caller (context::observe).
            req.extensions_mut().insert(caller.clone());
            Ok(caller)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&JwtKeys::Secret(b"0123456789abcdef0123456789abcdef".to_vec())).unwrap()
    }

    fn claims(exp_offset: i64, aud: &str) -> Claims {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            sub: "u".into(),
            kind: "user".into(),
            role: "admin".into(),
            jurisdiction: "3502".into(),
            iat: now,
            exp: now + exp_offset,
            iss: "iss".into(),
            aud: aud.into(),
            generation: 0,
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let k = keys();
        let good = k.sign(&claims(60, "aud")).unwrap();
        assert_eq!(k.verify(&good, "iss", "aud").unwrap().sub, "u");
        assert!(k.verify(&good, "iss", "other").is_err());
        assert!(k.verify(&good, "other", "aud").is_err());
        let expired = k.sign(&claims(-120, "aud")).unwrap();
        assert!(k.verify(&expired, "iss", "aud").is_err());
    }
}
