//! Issue 21.6: the client address in the audit log comes from forwarding headers only when the peer is a trusted
//! proxy (`TRUSTED_PROXIES`); a direct client's `X-Forwarded-For`, `Forwarded` and `X-Real-IP` are ignored.

use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

/// The client address of the newest audit entry with `action`.
fn audited_address(app: &TestApp, action: &str) -> Option<String> {
    use persistence::schema::audit_log::dsl as a;
    a::audit_log
        .filter(a::action.eq(action))
        .order(a::id.desc())
        .select(a::client_ip)
        .first::<Option<String>>(&mut *app.conn())
        .unwrap()
}

async fn login(app: &TestApp, headers: &[(&str, &str)]) -> Resp {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    let body = json!({"grant_type": "password", "username": "city", "password": PASSWORD}).to_string();
    app.request("POST", "/api/v1/auth/token", None, &all, Some(body.into_bytes())).await
}

const FORGED: [(&str, &str); 3] =
    [("X-Forwarded-For", "6.6.6.6"), ("Forwarded", "for=7.7.7.7;proto=https"), ("X-Real-IP", "8.8.8.8")];

both_backends! {
    async fn a_direct_client_cannot_forge_its_audited_address(app: &TestApp) {
        // Issue 21.6: no TRUSTED_PROXIES: the peer (127.0.0.1) is recorded, whatever the headers say.
        login(app, &FORGED).await.expect(200);
        assert_eq!(audited_address(app, "auth.login").as_deref(), Some("127.0.0.1"));
        app.post_with("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 61), &FORGED).await.expect(201);
        assert_eq!(audited_address(app, "retiree.create").as_deref(), Some("127.0.0.1"));
        // A peer that is not among the trusted proxies is a direct client too.
        let other = TestApp::spawn(app.backend, &[("TRUSTED_PROXIES", "10.0.0.0/8")]).await.unwrap();
        login(&other, &FORGED).await.expect(200);
        assert_eq!(audited_address(&other, "auth.login").as_deref(), Some("127.0.0.1"));
        other.finish().await;
    }

    async fn a_trusted_proxy_chain_names_the_client(app: &TestApp) {
        // Issue 21.6: behind trusted proxies the nearest hop that is not one of them is the client; what the
        // client itself put at the left of the chain is not believed.
        let proxied = TestApp::spawn(app.backend, &[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).await.unwrap();
        let chain = [("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.2.3.4")];
        proxied.post_with("/api/v1/retirees", "hongshan", &retiree_body("350203001001", 62), &chain).await.expect(201);
        assert_eq!(audited_address(&proxied, "retiree.create").as_deref(), Some("203.0.113.7"));
        login(&proxied, &[("Forwarded", "for=7.7.7.7, for=\"[2001:db8::17]:4711\";proto=https")]).await.expect(200);
        assert_eq!(audited_address(&proxied, "auth.login").as_deref(), Some("2001:db8::17"));
        login(&proxied, &[("X-Real-IP", "203.0.113.8")]).await.expect(200);
        assert_eq!(audited_address(&proxied, "auth.login").as_deref(), Some("203.0.113.8"));
        // A proxy that forwards nothing: the proxy itself.
        login(&proxied, &[]).await.expect(200);
        assert_eq!(audited_address(&proxied, "auth.login").as_deref(), Some("127.0.0.1"));
        proxied.finish().await;
    }
}
