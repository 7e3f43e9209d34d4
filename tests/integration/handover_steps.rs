//! Issue 19.12: handover steps are enforced (GUIDE 交接制度; JN Art. 21(4)): an item is accepted only once its
//! archive step (the archive received, or an exemption recorded) and its agreement step are recorded; the refusal
//! names the missing step. On both backends.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// A batch of `n` people living in hongshan's community (350203001001); the batch id and the item ids.
async fn batch(app: &TestApp, n: u16) -> (i64, Vec<i64>) {
    let items: Vec<Value> = (0..n).map(|i| json!({"retiree": retiree_body("350203001001", 70 + i)})).collect();
    let body = json!({"jurisdiction": "350203", "month": crate::helpers::today().to_string()[..7].to_owned(),
        "employer": {"name": "厦门港务集团有限公司", "community_code": "350203001001"}, "items": items});
    let res = app.post("/api/v1/handover-batches", "siming", &body).await.expect(201);
    let ids = res.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    (res.body["id"].as_i64().unwrap(), ids)
}

both_backends! {
    async fn handover_acceptance_needs_the_archive_step_jn_art_21_4(app: &TestApp) {
        // Issue 19.12; JN Art. 21(4): without the archive (or its recorded exemption) the person is not accepted.
        let (b, ids) = batch(app, 2).await;
        let base = format!("/api/v1/handover-batches/{b}/items");
        let res = app.post(&format!("{base}/{}/accept", ids[0]), "hongshan", &json!({})).await.problem(409, "handover_step_missing");
        assert!(res.body["detail"].as_str().unwrap().contains("archive_received"), "{}", res.text);
        // The agreement alone is not enough: the archive is still missing.
        app.post(&format!("{base}/{}/steps", ids[0]), "hongshan", &json!({"step": "agreement_signed"})).await.expect(200);
        let res = app.post(&format!("{base}/{}/accept", ids[0]), "hongshan", &json!({})).await.problem(409, "handover_step_missing");
        assert!(res.body["detail"].as_str().unwrap().contains("archive_received"), "{}", res.text);
        assert_eq!((app.count("retirees"), app.audit_count("handover.accept")), (0, 0), "nobody registered on a refusal");
        // A recorded exemption stands for the archive (JN Art. 21(4): a leader whose archive a party committee keeps).
        app.post(&format!("{base}/{}/steps", ids[0]), "hongshan", &json!({"step": "archive_received", "exemption": "party_committee_managed"})).await.expect(200);
        let res = app.post(&format!("{base}/{}/accept", ids[0]), "hongshan", &json!({})).await.expect(200);
        assert_eq!(res.body["items"][0]["status"], "accepted");
        assert_eq!((app.count("retirees"), app.audit_count("handover.accept")), (1, 1));
        // The second item: the archive received with its volumes, but no agreement yet.
        app.post(&format!("{base}/{}/steps", ids[1]), "hongshan", &json!({"step": "archive_received", "volumes": 2, "complete": true})).await.expect(200);
        let res = app.post(&format!("{base}/{}/accept", ids[1]), "hongshan", &json!({})).await.problem(409, "handover_step_missing");
        assert!(res.body["detail"].as_str().unwrap().contains("agreement_signed"), "{}", res.text);
        assert_eq!(res.body["items"], Value::Null);
        assert_eq!(app.count("retirees"), 1);
    }

    async fn handover_acceptance_needs_the_agreement_step_guide(app: &TestApp) {
        // Issue 19.12; GUIDE 交接制度: 《退休人员社会化管理服务协议书》 is signed before the person is taken on.
        let (b, ids) = batch(app, 1).await;
        let base = format!("/api/v1/handover-batches/{b}/items/{}", ids[0]);
        app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "archive_received", "volumes": 3, "complete": false})).await.expect(200);
        app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "reported"})).await.expect(200);
        let res = app.post(&format!("{base}/accept"), "hongshan", &json!({})).await.problem(409, "handover_step_missing");
        assert!(res.body["detail"].as_str().unwrap().contains("agreement_signed"), "{}", res.text);
        let batch_now = app.get(&format!("/api/v1/handover-batches/{b}"), "hongshan").await.expect(200);
        assert_eq!(batch_now.body["items"][0]["status"], "pending");
        app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "agreement_signed"})).await.expect(200);
        let res = app.post(&format!("{base}/accept"), "hongshan", &json!({})).await.expect(200);
        assert_eq!((res.body["items"][0]["status"].as_str(), res.body["status"].as_str()), (Some("accepted"), Some("closed")));
        // Returning needs no step; a settled item stays 409 item_settled.
        app.post(&format!("{base}/accept"), "hongshan", &json!({})).await.problem(409, "item_settled");
    }
}
