//! Digitisation batches over HTTP (issue 23; XM Art. 16; JN Art. 8(7)): a repository's archives sent for scanning,
//! each archive back digitised with its pages by reference (the archive's digitised date and copy set in the same
//! transaction, `archive.digitised` on the feed), progress per batch, completion and cancellation once, wrong role,
//! out of scope, and the digitisation report counting what batches produced.

use diesel::prelude::*;
use persistence::schema::archives as ar;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const SUM: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

async fn repository(app: &TestApp, code: &str) -> i64 {
    let body =
        json!({"code": code, "name": format!("{code} 库房"), "jurisdiction": "350203", "area_m2": 60, "keepers": 1});
    app.post("/api/v1/archive-repositories", "archivist", &body).await.expect(201).body["id"].as_i64().unwrap()
}

/// An archive received (digitised or not) and placed in `repo`.
async fn archive(app: &TestApp, seq: u16, repo: i64, digitised: bool) -> i64 {
    let r = app.create_retiree("city", &retiree_body("350203001001", seq)).await["id"].as_i64().unwrap();
    let body = json!({"retiree_id": r, "volumes": 1, "pieces": 10, "accept_unprepared": true,
        "preparation": {"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-03",
            "digitised": if digitised { Value::from("2026-11-10") } else { Value::Null }},
        "delivered_by": "厦门港务集团 李四"});
    let id = app.post("/api/v1/archives", "archivist", &body).await.expect(201).body["id"].as_i64().unwrap();
    let place = json!({"repository_id": repo, "room": "1", "shelf": "A", "box": "1"});
    app.post(&format!("/api/v1/archives/{id}/place"), "archivist", &place).await.expect(200);
    id
}

fn result(archive: i64) -> Value {
    json!({"archive_id": archive, "pages": 120, "uri": format!("https://dams.example.gov.cn/archives/{archive}"), "checksum": SUM})
}

both_backends! {
    async fn archive_digitisation_batches_run_once_and_mark_archives_xm_16_jn_8_7(app: &TestApp) {
        let sm = repository(app, "SM-01").await;
        let sm2 = repository(app, "SM-02").await;
        let a1 = archive(app, 1, sm, false).await;
        let a2 = archive(app, 2, sm, false).await;
        let a3 = archive(app, 3, sm, false).await;
        let a4 = archive(app, 4, sm2, false).await;
        let a5 = archive(app, 5, sm, true).await;
        let batch = |ids: Vec<i64>| json!({"repository_id": sm, "archive_ids": ids, "vendor": "厦门数档科技有限公司", "operator": "王档案"});

        // Wrong role; bad input names every archive that may not go, nothing written.
        app.post("/api/v1/archive-digitisation-batches", "siming", &batch(vec![a1])).await.problem(403, "forbidden");
        let mut bad = batch(vec![a1, a4, a5, 999_999, a1]);
        bad["vendor"] = json!("");
        bad["started_on"] = json!("2026-12-31");
        let res = app.post("/api/v1/archive-digitisation-batches", "archivist", &bad).await.problem(422, "validation_failed");
        let mut fields = res.fields();
        fields.sort();
        let codes: Vec<(&str, &str)> = fields.iter().map(|(f, c)| (f.as_str(), c.as_str())).collect();
        assert_eq!(codes[..4], [
            ("/archive_ids/1", "invalid_value"),
            ("/archive_ids/2", "archive_digitised"),
            ("/archive_ids/3", "archive_not_found"),
            ("/archive_ids/4", "invalid_value"),
        ]);
        assert!(codes.iter().any(|(f, c)| *f == "/started_on" && *c == "date_in_future"), "{codes:?}");
        assert!(codes.iter().any(|(f, _)| *f == "/vendor"), "{codes:?}");
        let mut other = batch(vec![a1]);
        other["repository_id"] = json!(999_999);
        app.post("/api/v1/archive-digitisation-batches", "archivist", &other).await.problem(422, "repository_not_found");
        assert_eq!(app.count("archive_batches"), 0);

        // Sent: 201, Location, ETag, open, progress 0 of 2.
        let res = app.post("/api/v1/archive-digitisation-batches", "archivist", &batch(vec![a2, a1])).await.expect(201);
        let b = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/archive-digitisation-batches/{b}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!((res.body["status"].as_str(), res.body["repository"].as_str(), res.body["started_on"].as_str()), (Some("open"), Some("SM-01"), Some("2026-12-06")));
        assert_eq!(res.body["progress"], json!({"archives": 2, "digitised": 0, "per_mille": 0}));
        assert_eq!(res.body["archives"][0]["archive_id"], a1);
        assert_eq!(app.audit_count("archive_batch.create"), 1);
        // An archive in an open batch does not go in another.
        app.post("/api/v1/archive-digitisation-batches", "archivist", &batch(vec![a1])).await.problem(422, "archive_in_batch");

        // Results: a1 back digitised; the archive's date and copy set, audited, on the feed.
        let path = format!("/api/v1/archive-digitisation-batches/{b}");
        app.post(&format!("{path}/results"), "siming", &json!({"results": [result(a1)]})).await.problem(403, "forbidden");
        let res = app.post(&format!("{path}/results"), "archivist", &json!({"results": [result(a3)]})).await.problem(422, "not_in_batch");
        assert_eq!(res.first_field(), "/results/0/archive_id");
        let mut broken = result(a1);
        broken["checksum"] = json!("md5:x");
        broken["pages"] = json!(0);
        let res = app.post(&format!("{path}/results"), "archivist", &json!({"results": [broken]})).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![("/results/0/checksum".into(), "invalid_value".into()), ("/results/0/pages".into(), "out_of_range".into())]);
        let res = app.post(&format!("{path}/results"), "archivist", &json!({"results": [result(a1)]})).await.expect(200);
        assert_eq!(res.body["progress"], json!({"archives": 2, "digitised": 1, "per_mille": 500}));
        assert_eq!(res.header("etag"), Some("\"2\""));
        let stored: (Option<time::Date>, Option<String>, Option<i32>) = ar::table.find(a1).select((ar::digitised_on, ar::digital_uri, ar::digital_pages)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, (Some(time::macros::date!(2026 - 12 - 06)), Some(format!("https://dams.example.gov.cn/archives/{a1}")), Some(120)));
        assert_eq!(app.audit_count("archive.digitise"), 1);
        let ev = app.get("/api/v1/events?after=0&limit=500&types=archive.digitised", "platform").await.expect(200);
        let items = ev.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        app::events::check_payload(domain::events::EventType::ArchiveDigitised, &items[0]["payload"]).unwrap();
        assert_eq!((items[0]["payload"]["archive_id"].as_i64(), items[0]["payload"]["batch_id"].as_i64()), (Some(a1), Some(b)));
        app.post(&format!("{path}/results"), "archivist", &json!({"results": [result(a1)]})).await.problem(422, "invalid_value");

        // Reads: the summary roles of the subtree; another district and a community below do not see it.
        let one = app.get(&path, "siming").await.expect(200);
        assert_eq!(one.header("etag"), Some("\"2\""));
        assert_eq!(one.body["archives"][0]["uri"], format!("https://dams.example.gov.cn/archives/{a1}"));
        app.get(&path, "huli").await.problem(404, "not_found");
        app.get(&path, "hongshan").await.problem(404, "not_found");
        app.get(&path, "admin").await.problem(403, "forbidden");
        app.post(&format!("{path}/complete"), "huli", &json!({})).await.problem(403, "forbidden");
        assert_eq!(app.get("/api/v1/archive-digitisation-batches", "huli").await.expect(200).body["items"], json!([]));

        // Complete: If-Match checked; once.
        app.post_with(&format!("{path}/complete"), "archivist", &json!({}), &[("If-Match", "\"1\"")]).await.problem(412, "version_mismatch");
        app.post(&format!("{path}/complete"), "archivist", &json!({"finished_on": "2026-11-01"})).await.problem(422, "date_order");
        let done = app.post_with(&format!("{path}/complete"), "archivist", &json!({}), &[("If-Match", "\"2\"")]).await.expect(200);
        assert_eq!((done.body["status"].as_str(), done.body["finished_on"].as_str()), (Some("completed"), Some("2026-12-06")));
        assert_eq!(done.body["progress"]["digitised"], 1);
        app.post(&format!("{path}/complete"), "archivist", &json!({})).await.problem(409, "batch_wrong_status");
        app.post(&format!("{path}/results"), "archivist", &json!({"results": [result(a2)]})).await.problem(409, "batch_wrong_status");
        app.post(&format!("{path}/cancel"), "archivist", &json!({"reason": "x"})).await.problem(409, "batch_wrong_status");

        // Cancel with a reason; the archive is free for another batch.
        let c = app.post("/api/v1/archive-digitisation-batches", "archivist", &batch(vec![a2, a3])).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/archive-digitisation-batches/{c}/cancel"), "archivist", &json!({"reason": " "})).await.expect(422);
        let cancelled = app.post(&format!("/api/v1/archive-digitisation-batches/{c}/cancel"), "archivist", &json!({"reason": "扫描单位合同终止"})).await.expect(200);
        assert_eq!((cancelled.body["status"].as_str(), cancelled.body["note"].as_str()), (Some("cancelled"), Some("扫描单位合同终止")));
        let d = app.post("/api/v1/archive-digitisation-batches", "archivist", &batch(vec![a3])).await.expect(201).body["id"].as_i64().unwrap();
        // The completion carries the last results.
        let fin = app.post(&format!("/api/v1/archive-digitisation-batches/{d}/complete"), "archivist", &json!({"results": [result(a3)]})).await.expect(200);
        assert_eq!(fin.body["progress"], json!({"archives": 1, "digitised": 1, "per_mille": 1000}));

        // The list by status; an unknown status 422.
        let list = app.get("/api/v1/archive-digitisation-batches?status=completed", "siming").await.expect(200).body;
        let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![b, d]);
        app.get("/api/v1/archive-digitisation-batches?status=done", "siming").await.problem(422, "invalid_enum");

        // The digitisation report counts what batches produced, and the archives digitised.
        let r = app.get("/api/v1/archive-digitisation?jurisdiction=350203", "siming").await.expect(200).body;
        assert_eq!(r["batches"], json!([
            {"status": "open", "archives": 0, "digitised": 0},
            {"status": "completed", "archives": 3, "digitised": 2},
            {"status": "cancelled", "archives": 2, "digitised": 0}]));
        assert_eq!((r["node"]["archives"].as_i64(), r["node"]["digitised"].as_i64()), (Some(5), Some(3)));
        let csv = app.get("/api/v1/exports/archive-digitisation?jurisdiction=350203&labels=zh", "siming").await.expect(200);
        assert!(csv.text.contains("已完成,3,2"), "{}", csv.text);
    }
}
