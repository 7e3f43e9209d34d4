//! Part 2: tokens that must not open the door. Each is answered 401 problem+json; the good token still works.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::report;
use crate::both_backends;
use crate::helpers::*;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn good_claims() -> Value {
    json!({"sub": "city", "kind": "user", "role": "city_centre", "jurisdiction": "3502", "iat": now(),
           "exp": now() + 600, "iss": ISSUER, "aud": AUDIENCE})
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn signed(alg: Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

both_backends! {
    async fn tokens_that_must_not_work(app: &TestApp) {
        let hs = |c: &Value| signed(Algorithm::HS256, c, SECRET);
        let good = hs(&good_claims());
        let (head, rest) = good.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        let flipped = {
            let mut s = signature.as_bytes().to_vec();
            s[4] = if s[4] == b'A' { b'B' } else { b'A' };
            String::from_utf8(s).unwrap()
        };
        let cases: Vec<(&str, String)> = vec![
            ("no token", String::new()),
            ("garbage", "not-a-jwt".into()),
            ("alg none", format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload)),
            ("alg none, upper case", format!("{}.{}.", b64(r#"{"alg":"NONE","typ":"JWT"}"#), payload)),
            ("tampered signature", format!("{head}.{payload}.{flipped}")),
            ("tampered payload", format!("{head}.{}.{signature}", b64(&with(good_claims(), "role", json!("admin")).to_string()))),
            ("another key", signed(Algorithm::HS256, &good_claims(), "another-secret-another-secret-another-secret")),
            ("another algorithm, same secret", signed(Algorithm::HS512, &good_claims(), SECRET)),
            ("expired", hs(&with(good_claims(), "exp", json!(now() - 120)))),
            ("not yet valid (nbf)", hs(&with(good_claims(), "nbf", json!(now() + 600)))),
            ("issued in the future", hs(&with(good_claims(), "iat", json!(now() + 600)))),
            ("wrong issuer", hs(&with(good_claims(), "iss", json!("someone-else")))),
            ("wrong audience", hs(&with(good_claims(), "aud", json!("another-service")))),
            ("exp as a string", hs(&with(good_claims(), "exp", json!((now() + 600).to_string())))),
            ("exp as a float far away", hs(&with(good_claims(), "exp", json!(1e300)))),
            ("missing exp", hs(&without(good_claims(), "exp"))),
            ("missing iss", hs(&without(good_claims(), "iss"))),
            ("missing aud", hs(&without(good_claims(), "aud"))),
            ("unknown account", hs(&with(good_claims(), "sub", json!("ghost")))),
            ("two tokens", format!("{good} {good}")),
            ("header only", head.to_owned()),
        ];
        let total = cases.len();
        let mut refused = 0;
        let mut wrong = Vec::new();
        for (name, token) in &cases {
            let res = if token.is_empty() {
                app.request("GET", "/api/v1/retirees", None, &[], None).await
            } else {
                app.request("GET", "/api/v1/retirees", Some(token), &[], None).await
            };
            let is_problem = res.header("content-type") == Some("application/problem+json") && res.body["status"] == 401;
            if res.status.as_u16() == 401 && is_problem {
                refused += 1;
            } else {
                wrong.push(format!("{name}: {} {}", res.status, res.text));
            }
        }
        // A lower-case scheme and a token passed twice in headers are not special: the good token still works.
        app.request("GET", "/api/v1/retirees", Some(&good), &[], None).await.expect(200);
        report("tokens: forged, expired, immature, malformed", Some(app.backend), &format!("{refused}/{total} refused 401"),
            "all 401 problem+json", wrong.is_empty());
        assert!(wrong.is_empty(), "accepted or not 401: {wrong:#?}");
    }
}
