//! Personnel archives over HTTP (issue 23; XM Art. 16; CS Art. 12(2); JN Art. 12, 20, 21): receiving an archive on
//! its own and with a handed-over person, the receipt check naming what is missing, repositories with capacity and
//! occupancy, places in the person's own jurisdiction only, summaries for other roles and the materials list for
//! the archivist (an audited read), and the staffing report counting volumes from the records. The default policy
//! carries JN Art. 12 and 20's figures (a keeper per 10,000 volumes, 60 m² per 10,000 volumes).

use diesel::prelude::*;
use persistence::schema::{archive_materials, archives as ar, handover_steps};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn person(app: &TestApp, community: &str, seq: u16) -> i64 {
    app.create_retiree("city", &retiree_body(community, seq)).await["id"].as_i64().unwrap()
}

fn prepared() -> Value {
    json!({"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-03", "digitised": "2026-11-10"})
}

fn receipt(retiree: i64, volumes: i32) -> Value {
    json!({"retiree_id": retiree, "volumes": volumes, "pieces": 40, "preparation": prepared(),
        "delivered_by": "厦门港务集团 李四",
        "materials": [{"material_type": "employment", "title": "退休审批表", "dated": "2026-10-20", "pages": 2},
            {"material_type": "resume", "title": "干部履历表", "pages": 4}]})
}

async fn repository(app: &TestApp, code: &str, node: &str, area: i64, keepers: i32) -> i64 {
    let body = json!({"code": code, "name": format!("{code} 库房"), "jurisdiction": node, "area_m2": area, "keepers": keepers});
    app.post("/api/v1/archive-repositories", "archivist", &body).await.expect(201).body["id"].as_i64().unwrap()
}

async fn archive_events(app: &TestApp, kind: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/v1/events?after=0&limit=500&types={kind}"), "platform").await.expect(200);
    let items = page.body["items"].as_array().unwrap().clone();
    for e in &items {
        let t = domain::events::EventType::parse(kind).unwrap();
        app::events::check_payload(t, &e["payload"]).unwrap_or_else(|err| panic!("{err}: {e}"));
        assert_eq!(e["subject"]["type"], "archive");
    }
    items
}

both_backends! {
    async fn receipt_checks_preparation_and_places_within_the_jurisdiction_cs_12_2_jn_20(app: &TestApp) {
        let r = person(app, "350203001001", 1).await;
        let sm = repository(app, "SM-01", "350203", 60, 0).await;
        let hl = repository(app, "HL-01", "350206", 60, 1).await;

        // CS Art. 12(2): an archive not bound and not digitised is refused, naming both; volumes ≤ 0 too.
        let mut body = receipt(r, 0);
        body["pieces"] = json!(0);
        body["preparation"] = json!({"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": null, "digitised": null});
        let res = app.post("/api/v1/archives", "archivist", &body).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![
            ("/pieces".into(), "archive_no_volumes".into()),
            ("/preparation/bound".into(), "archive_unprepared".into()),
            ("/preparation/digitised".into(), "archive_unprepared".into()),
            ("/volumes".into(), "archive_no_volumes".into()),
        ]);
        assert_eq!(app.count("archives"), 0);
        // Wrong role: the district centre and the community do not receive archives.
        app.post("/api/v1/archives", "siming", &receipt(r, 2)).await.problem(403, "forbidden");
        app.post("/api/v1/archives", "hongshan", &receipt(r, 2)).await.problem(403, "forbidden");

        // Received: 201, Location, ETag, materials numbered from 1, `archive.received` on the feed.
        let res = app.post("/api/v1/archives", "archivist", &receipt(r, 2)).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/archives/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        let b = &res.body;
        assert_eq!((b["status"].as_str(), b["volumes"].as_i64(), b["pieces"].as_i64()), (Some("in_store"), Some(2), Some(40)));
        assert_eq!((b["retiree_id"].as_i64(), b["community"].as_str(), b["received_by"].as_str()), (Some(r), Some("350203001001"), Some("archivist")));
        assert_eq!(b["unprepared"], json!([]));
        assert_eq!(b["materials"][1]["piece_no"], 2);
        assert_eq!(b["materials"][1]["title"], "干部履历表");
        assert_eq!((app.count("archives"), app.count("archive_materials"), app.audit_count("archive.receive")), (1, 2, 1));
        let ev = archive_events(app, "archive.received").await;
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0]["subject"]["id"].as_i64(), ev[0]["payload"]["volumes"].as_i64()), (Some(id), Some(2)));
        assert_eq!(ev[0]["payload"]["retiree"]["id"], r);
        // The resident ID is sealed at rest (issue 21.10): the row holds neither the clear ID nor its digits.
        #[derive(diesel::QueryableByName)]
        struct Raw {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id_number: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            id_number_hash: String,
        }
        let raw: Raw = diesel::RunQueryDsl::get_result(
            diesel::sql_query(format!("SELECT id_number, id_number_hash FROM archives WHERE id = {id}")),
            &mut *app.conn(),
        )
        .unwrap();
        let clear = app.get(&format!("/api/v1/retirees/{r}"), "siming").await.expect(200).body["id_number"].as_str().unwrap().to_owned();
        assert!(!clear.contains('*'), "{clear}");
        assert!(raw.id_number.starts_with("v1:"), "{}", raw.id_number);
        assert!(!raw.id_number.contains(&clear[6..14]) && !raw.id_number_hash.contains(&clear[6..14]));
        // One archive per person (the unique hash).
        app.post("/api/v1/archives", "archivist", &receipt(r, 1)).await.problem(409, "archive_exists");
        // Accepted as it is, the missing items stay on the record.
        let r2 = person(app, "350203001001", 2).await;
        let mut body = receipt(r2, 1);
        body["preparation"]["digitised"] = Value::Null;
        body["accept_unprepared"] = json!(true);
        body["missing_items"] = json!(["退休审批表原件"]);
        let b2 = app.post("/api/v1/archives", "archivist", &body).await.expect(201).body;
        assert_eq!((b2["unprepared"].clone(), b2["missing_items"].clone()), (json!(["digitised"]), json!(["退休审批表原件"])));

        // A repository of another district: 422 location_out_of_jurisdiction; an unknown one 422.
        let place = |repo: i64| json!({"repository_id": repo, "room": "2", "shelf": "A-03", "box": "0117"});
        let res = app.post(&format!("/api/v1/archives/{id}/place"), "archivist", &place(hl)).await.problem(422, "location_out_of_jurisdiction");
        assert_eq!(res.first_field(), "/repository_id");
        app.post(&format!("/api/v1/archives/{id}/place"), "archivist", &place(999_999)).await.problem(422, "repository_not_found");
        app.post(&format!("/api/v1/archives/{id}/place"), "siming", &place(sm)).await.problem(403, "forbidden");
        let res = app.post(&format!("/api/v1/archives/{id}/place"), "archivist", &place(sm)).await.expect(200);
        assert_eq!(res.body["place"], json!({"repository_id": sm, "repository": "SM-01", "room": "2", "shelf": "A-03", "box": "0117", "stored_on": "2026-12-06"}));
        assert_eq!(res.header("etag"), Some("\"2\""));
        let stored: (Option<i64>, Option<String>) = ar::table.find(id).select((ar::repository_id, ar::box_)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, (Some(sm), Some("0117".into())));
        // JN Art. 20: a repository of 1 m² holds 166 volumes; 200 do not fit.
        let tiny = repository(app, "SM-02", "350203", 1, 0).await;
        let r3 = person(app, "350203001004", 3).await;
        let big = app.post("/api/v1/archives", "archivist", &receipt(r3, 200)).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/archives/{big}/place"), "archivist", &place(tiny)).await.problem(409, "repository_full");

        // Repositories: capacity from the area (JN Art. 20), occupancy from the shelves, keepers short (JN Art. 12).
        let list = app.get("/api/v1/archive-repositories", "siming").await.expect(200).body;
        let smv = list.as_array().unwrap().iter().find(|x| x["id"] == sm).cloned().unwrap();
        assert_eq!((smv["capacity_volumes"].as_i64(), smv["occupancy_volumes"].as_i64(), smv["free_volumes"].as_i64()), (Some(10_000), Some(2), Some(9_998)));
        assert_eq!((smv["shortfall"]["keepers_required"].as_i64(), smv["shortfall"]["keepers_short"].as_i64()), (Some(1), Some(1)));
        assert!(list.as_array().unwrap().iter().all(|x| x["jurisdiction"] == "350203"), "siming sees its own repositories only");

        // Summary for other roles, the materials list for the archivist and the auditor; reads audited.
        let one = app.get(&format!("/api/v1/archives/{id}"), "hongshan").await.expect(200).body;
        assert_eq!((one["volumes"].as_i64(), one["status"].as_str(), one["materials"].clone()), (Some(2), Some("in_store"), Value::Null));
        assert_eq!(one["place"]["shelf"], "A-03");
        let full = app.get(&format!("/api/v1/archives/{id}"), "auditor").await.expect(200).body;
        assert_eq!(full["materials"].as_array().unwrap().len(), 2);
        assert_eq!(app.audit_count("archive.read"), 2);
        // Out of scope: another community, another district.
        app.get(&format!("/api/v1/archives/{id}"), "fengchaoshan").await.problem(404, "not_found");
        app.get(&format!("/api/v1/archives/{id}"), "huli").await.problem(404, "not_found");
        app.get(&format!("/api/v1/archives/{id}"), "admin").await.problem(403, "forbidden");
        let l = app.get("/api/v1/archives?status=in_store", "hongshan").await.expect(200).body;
        assert_eq!(l["items"].as_array().unwrap().len(), 2, "hongshan sees its two people's archives");
        assert!(l["items"].as_array().unwrap().iter().all(|x| x["materials"].is_null()));
        app.get("/api/v1/archives?status=lost", "hongshan").await.problem(422, "invalid_enum");

        // The staffing report counts volumes from the records (2 + 1 + 200 in 思明区) and shows the shortfall.
        let rep = app.get("/api/v1/reports/staffing?jurisdiction=350203", "siming").await.expect(200).body;
        assert_eq!((rep["archive_volumes"].as_i64(), rep["archive_keepers"].as_i64(), rep["archive_area_m2"].as_i64()), (Some(203), Some(1), Some(2)));
        let node = &rep["archive_storage"]["node"];
        assert_eq!((node["volumes"].as_i64(), node["keepers"].as_i64(), node["area_m2"].as_i64(), node["keepers_short"].as_i64(), node["area_short_m2"].as_i64()), (Some(203), Some(0), Some(61), Some(1), Some(0)));
        assert_eq!(rep["archive_storage"]["archives"], 3);
        assert_eq!(rep["archive_storage"]["repositories"].as_array().unwrap().len(), 2);
        let huli = app.get("/api/v1/reports/staffing?jurisdiction=350206", "huli").await.expect(200).body;
        assert_eq!((huli["archive_volumes"].as_i64(), huli["archive_storage"]["node"]["keepers"].as_i64()), (Some(0), Some(1)));
    }

    async fn the_handovers_archive_step_creates_the_archive_and_acceptance_links_it_jn_21_3(app: &TestApp) {
        // JN Art. 21(3): "退休人员人事档案随人移交" — received with the handed-over person.
        let items = vec![json!({"retiree": retiree_body("350203001001", 80)})];
        let body = json!({"jurisdiction": "350203", "month": today().to_string()[..7].to_owned(),
            "employer": {"name": "厦门港务集团有限公司", "community_code": "350203001001"}, "items": items});
        let batch = app.post("/api/v1/handover-batches", "siming", &body).await.expect(201).body;
        let (b, item) = (batch["id"].as_i64().unwrap(), batch["items"][0]["id"].as_i64().unwrap());
        let mut body = receipt(0, 3);
        body.as_object_mut().unwrap().remove("retiree_id");
        body["handover"] = json!({"batch_id": b, "item_id": item});
        let a = app.post("/api/v1/archives", "archivist", &body).await.expect(201).body;
        assert_eq!((a["handover_item_id"].as_i64(), a["retiree_id"].clone(), a["community"].as_str()), (Some(item), Value::Null, Some("350203001001")));
        // The handover's archive step is recorded with the archive.
        let steps: Vec<(String, Option<String>)> = handover_steps::table
            .filter(handover_steps::item_id.eq(item))
            .select((handover_steps::step, handover_steps::detail))
            .load(&mut *app.conn())
            .unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].0, "archive_received");
        let detail: Value = serde_json::from_str(steps[0].1.as_deref().unwrap()).unwrap();
        assert_eq!((detail["volumes"].as_i64(), detail["complete"].as_bool(), detail["archive_id"].clone()), (Some(3), Some(true), a["id"].clone()));
        // Both ids at once, or neither: 422.
        let mut both = receipt(1, 1);
        both["handover"] = json!({"batch_id": b, "item_id": item});
        let res = app.post("/api/v1/archives", "archivist", &both).await.problem(422, "invalid_value");
        assert_eq!(res.first_field(), "/retiree_id");
        // The acceptance needs only the agreement now, and links the archive to the new retiree.
        let base = format!("/api/v1/handover-batches/{b}/items/{item}");
        app.post(&format!("{base}/steps"), "hongshan", &json!({"step": "agreement_signed"})).await.expect(200);
        let res = app.post(&format!("{base}/accept"), "hongshan", &json!({})).await.expect(200);
        let rid = res.body["items"][0]["retiree_id"].as_i64().unwrap();
        let linked: Option<i64> = ar::table.find(a["id"].as_i64().unwrap()).select(ar::retiree_id).first(&mut *app.conn()).unwrap();
        assert_eq!(linked, Some(rid));
        let pieces: i64 = archive_materials::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(pieces, 2);
    }
}

async fn received(app: &TestApp, community: &str, seq: u16) -> (i64, i64) {
    let r = person(app, community, seq).await;
    let a = app.post("/api/v1/archives", "archivist", &receipt(r, 2)).await.expect(201).body["id"].as_i64().unwrap();
    (r, a)
}

fn archive_status(app: &TestApp, id: i64) -> String {
    ar::table.find(id).select(ar::status).first(&mut *app.conn()).unwrap()
}

both_backends! {
    async fn loans_run_requested_approved_lent_returned_once_jn_7_12(app: &TestApp) {
        use persistence::schema::archive_loans as al;
        let (r, a) = received(app, "350203001001", 1).await;
        let ask = json!({"kind": "borrow", "requester": "思明区人社局 王五", "purpose": "核对工龄", "pieces": [1, 2],
            "asked_from": "2026-12-06", "asked_until": "2026-12-10"});

        // Bad input, every rule at once: the end before the start, a piece not on the list, no purpose.
        let bad = json!({"kind": "borrow", "requester": "王五", "purpose": " ", "pieces": [1, 7],
            "asked_from": "2026-12-06", "asked_until": "2026-12-01"});
        let res = app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &bad).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![
            ("/asked_until".into(), "date_order".into()),
            ("/pieces/1".into(), "invalid_value".into()),
            ("/purpose".into(), "length".into()),
        ]);
        // Longer than the policy's loan period (30 days): 422 at /asked_until.
        let mut long = ask.clone();
        long["asked_until"] = json!("2027-01-06");
        let res = app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &long).await.problem(422, "out_of_range");
        assert_eq!(res.fields(), vec![("/asked_until".into(), "out_of_range".into())]);
        // Online use needs a digitised copy.
        let online = json!({"kind": "consult", "online": true, "requester": "王五", "purpose": "查阅"});
        let res = app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &online).await.problem(422, "invalid_value");
        assert_eq!(res.first_field(), "/online");
        assert_eq!(app.count("archive_loans"), 0);
        // Wrong role (the auditor, finance) and out of scope (another community, another district).
        app.post(&format!("/api/v1/archives/{a}/loans"), "auditor", &ask).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/archives/{a}/loans"), "finance", &ask).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/archives/{a}/loans"), "fengchaoshan", &ask).await.problem(404, "not_found");
        app.post(&format!("/api/v1/archives/{a}/loans"), "huli", &ask).await.problem(404, "not_found");

        // Requested by the community: 201, Location, ETag.
        let res = app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &ask).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/archive-loans/{id}").as_str()));
        assert_eq!(res.header("etag"), Some("\"1\""));
        assert_eq!((res.body["status"].as_str(), res.body["kind"].as_str(), res.body["pieces"].clone()), (Some("requested"), Some("borrow"), json!([1, 2])));
        assert_eq!(app.audit_count("archive_loan.request"), 1);
        let base = format!("/api/v1/archive-loans/{id}");
        // Only the archivist decides; lending before approval is refused.
        app.post(&format!("{base}/approve"), "hongshan", &json!({})).await.problem(403, "forbidden");
        app.post(&format!("{base}/approve"), "auditor", &json!({})).await.problem(403, "forbidden");
        app.post(&format!("{base}/lend"), "archivist", &json!({})).await.problem(409, "loan_wrong_status");
        app.post_with(&format!("{base}/approve"), "archivist", &json!({}), &[("If-Match", "\"7\"")]).await.problem(412, "version_mismatch");
        let res = app.post_with(&format!("{base}/approve"), "archivist", &json!({"note": "同意"}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["decided_by"].as_str()), (Some("approved"), Some("archivist")));
        assert_eq!(res.header("etag"), Some("\"2\""));
        // Lent: due on the last asked day; the archive is on loan; audited as a consultation; `archive.lent`.
        let res = app.post(&format!("{base}/lend"), "archivist", &json!({})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["lent_on"].as_str(), res.body["due_on"].as_str()), (Some("lent"), Some("2026-12-06"), Some("2026-12-10")));
        assert_eq!(res.body["overdue"], false);
        assert_eq!(archive_status(app, a), "on_loan");
        assert_eq!(app.audit_count("archive.consult"), 1);
        let ev = archive_events(app, "archive.lent").await;
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0]["subject"]["id"].as_i64(), ev[0]["payload"]["loan_id"].as_i64(), ev[0]["payload"]["status"].as_str()), (Some(a), Some(id), Some("on_loan")));
        assert_eq!(ev[0]["payload"]["retiree"]["id"], r);
        // A second request for an archive on loan: 409.
        app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &ask).await.problem(409, "archive_wrong_status");
        // Returned once: in store again, `archive.returned`; returning twice: 409.
        let res = app.post(&format!("{base}/return"), "archivist", &json!({})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["returned_on"].as_str()), (Some("returned"), Some("2026-12-06")));
        assert_eq!(archive_status(app, a), "in_store");
        app.post(&format!("{base}/return"), "archivist", &json!({})).await.problem(409, "loan_wrong_status");
        assert_eq!(archive_events(app, "archive.returned").await.len(), 1);
        let stored: (String, Option<String>) = al::table.find(id).select((al::status, al::returned_by)).first(&mut *app.conn()).unwrap();
        assert_eq!(stored, ("returned".into(), Some("archivist".into())));

        // A rejection needs a reason.
        let id2 = app.post(&format!("/api/v1/archives/{a}/loans"), "siming", &ask).await.expect(201).body["id"].as_i64().unwrap();
        let res = app.post(&format!("/api/v1/archive-loans/{id2}/reject"), "archivist", &json!({})).await.problem(422, "required");
        assert_eq!(res.first_field(), "/note");
        let res = app.post(&format!("/api/v1/archive-loans/{id2}/reject"), "archivist", &json!({"note": "用途不明"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["decision_note"].as_str()), (Some("rejected"), Some("用途不明")));

        // An archive in transit is not lent: refused at the request and at the hand-out of an approved loan.
        let id3 = app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &ask).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/archive-loans/{id3}/approve"), "archivist", &json!({})).await.expect(200);
        diesel::update(ar::table.find(a)).set(ar::status.eq("in_transit")).execute(&mut *app.conn()).unwrap();
        app.post(&format!("/api/v1/archive-loans/{id3}/lend"), "archivist", &json!({})).await.problem(409, "archive_wrong_status");
        app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &ask).await.problem(409, "archive_wrong_status");
        diesel::update(ar::table.find(a)).set(ar::status.eq("in_store")).execute(&mut *app.conn()).unwrap();

        // The overdue worklist: a loan lent for 2026-11-01..05 is overdue on 2026-12-06.
        let (_, b) = received(app, "350203001001", 2).await;
        let past = json!({"kind": "consult", "requester": "王五", "purpose": "查阅", "asked_from": "2026-11-01", "asked_until": "2026-11-05"});
        let id4 = app.post(&format!("/api/v1/archives/{b}/loans"), "hongshan", &past).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/archive-loans/{id4}/approve"), "archivist", &json!({})).await.expect(200);
        let res = app.post(&format!("/api/v1/archive-loans/{id4}/lend"), "archivist", &json!({"on": "2026-11-01"})).await.expect(200);
        assert_eq!((res.body["due_on"].as_str(), res.body["overdue"].as_bool()), (Some("2026-11-05"), Some(true)));
        let list = app.get("/api/v1/archive-loans?overdue=true", "archivist").await.expect(200).body;
        let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![id4]);
        assert_eq!(app.get("/api/v1/archive-loans?overdue=true", "hongshan").await.expect(200).body["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get("/api/v1/archive-loans?overdue=true", "huli").await.expect(200).body["items"].as_array().unwrap().len(), 0);
        assert_eq!(app.get("/api/v1/archive-loans", "fengchaoshan").await.expect(200).body["items"].as_array().unwrap().len(), 0);
        app.get("/api/v1/archive-loans?overdue=maybe", "archivist").await.problem(422, "invalid_boolean");
        app.get("/api/v1/archive-loans", "finance").await.problem(403, "forbidden");
        assert_eq!(app.get(&format!("/api/v1/archive-loans?archive_id={a}&status=returned"), "auditor").await.expect(200).body["items"].as_array().unwrap().len(), 1);
        // One loan: an audited read; out of scope 404.
        let one = app.get(&format!("/api/v1/archive-loans/{id4}"), "hongshan").await.expect(200);
        assert_eq!(one.header("etag"), Some("\"3\""));
        assert_eq!(app.audit_count("archive_loan.read"), 1);
        app.get(&format!("/api/v1/archive-loans/{id4}"), "fengchaoshan").await.problem(404, "not_found");
    }

    async fn online_use_references_the_digitised_copy_xm_16(app: &TestApp) {
        let (_, a) = received(app, "350203001001", 1).await;
        let sum = format!("sha256:{}", "ab".repeat(32));
        // Bad input: not https, no pages, a malformed checksum.
        let res = app.post(&format!("/api/v1/archives/{a}/digital"), "archivist", &json!({"uri": "ftp://x", "pages": 0, "checksum": "md5:1"})).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![
            ("/checksum".into(), "invalid_value".into()),
            ("/pages".into(), "out_of_range".into()),
            ("/uri".into(), "invalid_value".into()),
        ]);
        let copy = json!({"uri": "https://dams.example.gov.cn/archives/1", "pages": 120, "checksum": sum});
        app.post(&format!("/api/v1/archives/{a}/digital"), "siming", &copy).await.problem(403, "forbidden");
        let res = app.post(&format!("/api/v1/archives/{a}/digital"), "archivist", &copy).await.expect(200);
        assert_eq!(res.body["digital"], json!({"uri": "https://dams.example.gov.cn/archives/1", "pages": 120, "checksum": sum}));
        assert_eq!(app.audit_count("archive.digitise"), 1);
        // Online consultation: only a consultation; lent, the copy is shown and the paper archive stays in store.
        let borrow = json!({"kind": "borrow", "online": true, "requester": "王五", "purpose": "查阅"});
        app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &borrow).await.problem(422, "invalid_value");
        let ask = json!({"kind": "consult", "online": true, "requester": "王五", "purpose": "查阅"});
        let id = app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &ask).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/archive-loans/{id}/approve"), "archivist", &json!({})).await.expect(200);
        let res = app.post(&format!("/api/v1/archive-loans/{id}/lend"), "archivist", &json!({})).await.expect(200);
        assert_eq!(res.body["digital"]["pages"], 120);
        assert_eq!(res.body["due_on"], "2027-01-05", "the policy's 30 days");
        assert_eq!(archive_status(app, a), "in_store");
        let res = app.post(&format!("/api/v1/archive-loans/{id}/return"), "archivist", &json!({})).await.expect(200);
        assert_eq!(res.body["digital"], Value::Null);
        assert_eq!(app.audit_count("archive.consult"), 1);
    }
}

both_backends! {
    async fn supplements_are_reviewed_then_filed_with_the_next_piece_number_jn_27(app: &TestApp) {
        use persistence::schema::archive_supplements as su;
        let (r, a) = received(app, "350203001001", 1).await;
        let body = json!({"material": {"material_type": "award", "title": "2026年度优秀小组长表彰决定", "dated": "2026-11-20", "pages": 1},
            "delivered_by": "鹭江街道退管站 赵六"});
        // Bad input: pages 0, a date in the future, no deliverer, a class not in the catalogue.
        let bad = json!({"material": {"material_type": "award", "title": "表彰", "dated": "2027-01-01", "pages": 0}, "delivered_by": ""});
        let res = app.post(&format!("/api/v1/archives/{a}/supplements"), "hongshan", &bad).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![
            ("/delivered_by".into(), "length".into()),
            ("/material/dated".into(), "date_in_future".into()),
            ("/material/pages".into(), "out_of_range".into()),
        ]);
        let mut unknown = body.clone();
        unknown["material"]["material_type"] = json!("poetry");
        assert_eq!(app.post(&format!("/api/v1/archives/{a}/supplements"), "hongshan", &unknown).await.status.as_u16(), 422);
        // Wrong role and out of scope.
        app.post(&format!("/api/v1/archives/{a}/supplements"), "auditor", &body).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/archives/{a}/supplements"), "leader", &body).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/archives/{a}/supplements"), "fengchaoshan", &body).await.problem(404, "not_found");
        assert_eq!(app.count("archive_supplements"), 0);

        // Submitted: reviewed within the policy's 15 days.
        let res = app.post(&format!("/api/v1/archives/{a}/supplements"), "hongshan", &body).await.expect(201);
        let id = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/archive-supplements/{id}").as_str()));
        assert_eq!((res.body["status"].as_str(), res.body["review_due"].as_str(), res.body["piece_no"].clone()), (Some("submitted"), Some("2026-12-21"), Value::Null));
        assert_eq!(app.audit_count("archive_supplement.submit"), 1);
        let base = format!("/api/v1/archive-supplements/{id}");
        app.post(&format!("{base}/accept"), "hongshan", &json!({})).await.problem(403, "forbidden");
        // Filed only while the archive is on its shelf.
        diesel::update(ar::table.find(a)).set(ar::status.eq("on_loan")).execute(&mut *app.conn()).unwrap();
        app.post(&format!("{base}/accept"), "archivist", &json!({})).await.problem(409, "archive_wrong_status");
        diesel::update(ar::table.find(a)).set(ar::status.eq("in_store")).execute(&mut *app.conn()).unwrap();
        // Accepted: piece 3 after the two received; the archive counts 41 pieces; `archive.supplemented`.
        let res = app.post_with(&format!("{base}/accept"), "archivist", &json!({}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["piece_no"].as_i64(), res.body["reviewed_by"].as_str()), (Some("filed"), Some(3), Some("archivist")));
        assert_eq!(res.header("etag"), Some("\"2\""));
        let pieces: Vec<(i32, String, String)> = archive_materials::table
            .filter(archive_materials::archive_id.eq(a))
            .order(archive_materials::piece_no)
            .select((archive_materials::piece_no, archive_materials::title, archive_materials::source))
            .load(&mut *app.conn())
            .unwrap();
        assert_eq!(pieces.last().unwrap(), &(3, "2026年度优秀小组长表彰决定".to_owned(), "supplement".to_owned()));
        let count: i32 = ar::table.find(a).select(ar::pieces).first(&mut *app.conn()).unwrap();
        assert_eq!(count, 41);
        let ev = archive_events(app, "archive.supplemented").await;
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0]["payload"]["supplement_id"].as_i64(), ev[0]["payload"]["piece_no"].as_i64(), ev[0]["payload"]["pieces"].as_i64()), (Some(id), Some(3), Some(41)));
        assert_eq!(ev[0]["payload"]["retiree"]["id"], r);
        // Reviewed once.
        app.post(&format!("{base}/accept"), "archivist", &json!({})).await.problem(409, "supplement_wrong_status");
        app.post(&format!("{base}/return"), "archivist", &json!({"reason": "重复"})).await.problem(409, "supplement_wrong_status");

        // Returned with a reason; the next filed piece is 4.
        let id2 = app.post(&format!("/api/v1/archives/{a}/supplements"), "archivist", &body).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/archive-supplements/{id2}/return"), "archivist", &json!({})).await.problem(422, "required");
        let res = app.post(&format!("/api/v1/archive-supplements/{id2}/return"), "archivist", &json!({"reason": "材料未加盖公章"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["return_reason"].as_str()), (Some("returned"), Some("材料未加盖公章")));
        let id3 = app.post(&format!("/api/v1/archives/{a}/supplements"), "siming", &body).await.expect(201).body["id"].as_i64().unwrap();
        // The review worklist: a submission past its review day.
        diesel::update(su::table.find(id3)).set(su::review_due.eq(time::macros::date!(2026 - 12 - 01))).execute(&mut *app.conn()).unwrap();
        let list = app.get("/api/v1/archive-supplements?review_overdue=true", "archivist").await.expect(200).body;
        let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![id3]);
        assert_eq!(list["items"][0]["review_overdue"], true);
        let res = app.post(&format!("/api/v1/archive-supplements/{id3}/accept"), "archivist", &json!({})).await.expect(200);
        assert_eq!(res.body["piece_no"], 4);
        assert_eq!(app.get(&format!("/api/v1/archive-supplements?archive_id={a}&status=filed"), "auditor").await.expect(200).body["items"].as_array().unwrap().len(), 2);
        assert_eq!(app.get("/api/v1/archive-supplements", "huli").await.expect(200).body["items"].as_array().unwrap().len(), 0);
        app.get("/api/v1/archive-supplements", "finance").await.problem(403, "forbidden");
        app.get(&format!("/api/v1/archive-supplements/{id}"), "hongshan").await.expect(200);
        assert_eq!(app.audit_count("archive_supplement.read"), 1);
        app.get(&format!("/api/v1/archive-supplements/{id}"), "fengchaoshan").await.problem(404, "not_found");
        // The materials list shows the filed pieces in running order.
        let m = app.get(&format!("/api/v1/archives/{a}/materials"), "archivist").await.expect(200).body;
        let nos: Vec<i64> = m["items"].as_array().unwrap().iter().map(|x| x["piece_no"].as_i64().unwrap()).collect();
        assert_eq!(nos, vec![1, 2, 3, 4]);
        // An archive in transit takes no new material.
        diesel::update(ar::table.find(a)).set(ar::status.eq("in_transit")).execute(&mut *app.conn()).unwrap();
        app.post(&format!("/api/v1/archives/{a}/supplements"), "hongshan", &body).await.problem(409, "archive_wrong_status");
    }
}

both_backends! {
    async fn a_transfer_completes_once_the_archive_is_received_or_exempted_jn_21_3_4(app: &TestApp) {
        use persistence::schema::archive_dispatches as ad;
        let (r, a) = received(app, "350203001001", 1).await;
        let sm = repository(app, "SM-01", "350203", 60, 1).await;
        app.post(&format!("/api/v1/archives/{a}/place"), "archivist", &json!({"repository_id": sm, "room": "1", "shelf": "A", "box": "1"})).await.expect(200);
        let idn = retiree_body("350203001001", 1)["id_number"].as_str().unwrap().to_owned();
        let all = json!(["application_form", "residence_proof", "id_copy"]);
        let tid = app.post("/api/v1/transfers", "huli", &json!({"id_number": idn, "to_community": "350206001001", "documents": all})).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/transfers/{tid}/release"), "hongshan", &json!({})).await.expect(200);
        // JN Art. 21(3): the archive held here has not gone with the person: the transfer waits.
        app.post(&format!("/api/v1/transfers/{tid}/complete"), "huli", &json!({})).await.problem(409, "transfer_archive_pending");

        // Bad input: no means, another person's transfer; wrong role.
        let send = json!({"transfer_id": tid, "to_authority": "湖里区退休人员服务中心档案室", "means": "confidential_mail", "tracking_no": "JY20261206001"});
        let res = app.post(&format!("/api/v1/archives/{a}/dispatches"), "archivist", &json!({"transfer_id": 999_999, "to_authority": "湖里"})).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![("/means".into(), "required".into()), ("/transfer_id".into(), "invalid_value".into())]);
        app.post(&format!("/api/v1/archives/{a}/dispatches"), "siming", &send).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/archives/{a}/dispatches"), "hongshan", &send).await.problem(403, "forbidden");
        // Sent: in transit, `archive.transferred`.
        let res = app.post(&format!("/api/v1/archives/{a}/dispatches"), "archivist", &send).await.expect(201);
        let did = res.body["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/api/v1/archive-dispatches/{did}").as_str()));
        assert_eq!((res.body["status"].as_str(), res.body["archive_status"].as_str(), res.body["means"].as_str()), (Some("sent"), Some("in_transit"), Some("confidential_mail")));
        assert_eq!(archive_status(app, a), "in_transit");
        // A loan of an archive in transit: 409; sending it twice: 409.
        app.post(&format!("/api/v1/archives/{a}/loans"), "hongshan", &json!({"kind": "consult", "requester": "王五", "purpose": "查阅"})).await.problem(409, "archive_wrong_status");
        app.post(&format!("/api/v1/archives/{a}/dispatches"), "archivist", &send).await.problem(409, "archive_wrong_status");
        // Still in transit: the transfer waits.
        app.post(&format!("/api/v1/transfers/{tid}/complete"), "huli", &json!({})).await.problem(409, "transfer_archive_pending");
        // The receiver confirms: in store again (within the city), its old place cleared; confirmed once.
        app.post(&format!("/api/v1/archive-dispatches/{did}/receive"), "archivist", &json!({"received_by": ""})).await.problem(422, "length");
        let res = app.post(&format!("/api/v1/archive-dispatches/{did}/receive"), "archivist", &json!({"received_by": "湖里区档案室 陈七"})).await.expect(200);
        assert_eq!((res.body["status"].as_str(), res.body["archive_status"].as_str(), res.body["received_on"].as_str()), (Some("received"), Some("in_store"), Some("2026-12-06")));
        assert_eq!(res.header("etag"), Some("\"2\""));
        app.post(&format!("/api/v1/archive-dispatches/{did}/receive"), "archivist", &json!({"received_by": "陈七"})).await.problem(409, "dispatch_received");
        let place: Option<i64> = ar::table.find(a).select(ar::repository_id).first(&mut *app.conn()).unwrap();
        assert_eq!(place, None);
        let ev = archive_events(app, "archive.transferred").await;
        assert_eq!(ev.len(), 2);
        assert_eq!((ev[0]["payload"]["received"].as_bool(), ev[1]["payload"]["received"].as_bool()), (Some(false), Some(true)));
        assert_eq!((ev[1]["payload"]["transfer_id"].as_i64(), ev[1]["payload"]["dispatch_id"].as_i64()), (Some(tid), Some(did)));
        assert_eq!(ev[1]["payload"]["retiree"]["id"], r);
        assert_eq!(app.audit_count("archive.dispatch"), 1);
        // Now the transfer completes, and the archive follows the person to 湖里.
        app.post(&format!("/api/v1/transfers/{tid}/complete"), "huli", &json!({})).await.expect(200);
        let community: String = ar::table.find(a).select(ar::community_code).first(&mut *app.conn()).unwrap();
        assert_eq!(community, "350206001001");
        app.get(&format!("/api/v1/archives/{a}"), "huli").await.expect(200);
        app.get(&format!("/api/v1/archives/{a}"), "siming").await.problem(404, "not_found");
        // A completed transfer takes no more dispatches.
        app.post(&format!("/api/v1/archives/{a}/dispatches"), "archivist", &send).await.problem(409, "transfer_wrong_status");

        // JN Art. 21(4): an exemption recorded instead; the archive does not move and the transfer completes.
        let (_, b) = received(app, "350203001001", 2).await;
        let idn = retiree_body("350203001001", 2)["id_number"].as_str().unwrap().to_owned();
        let tid2 = app.post("/api/v1/transfers", "huli", &json!({"id_number": idn, "to_community": "350206001001", "documents": all})).await.expect(201).body["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/transfers/{tid2}/release"), "hongshan", &json!({})).await.expect(200);
        let res = app.post(&format!("/api/v1/archives/{b}/dispatches"), "archivist", &json!({"transfer_id": tid2, "to_authority": "市委组织部", "exemption": "party_committee_managed"})).await.expect(201);
        assert_eq!((res.body["exemption"].as_str(), res.body["archive_status"].as_str()), (Some("party_committee_managed"), Some("in_store")));
        assert_eq!(app.audit_count("archive.exempt"), 1);
        app.post(&format!("/api/v1/transfers/{tid2}/complete"), "huli", &json!({})).await.expect(200);
        let stays: (String, String) = ar::table.find(b).select((ar::status, ar::community_code)).first(&mut *app.conn()).unwrap();
        assert_eq!(stays, ("in_store".into(), "350203001001".into()));
        let n: i64 = ad::table.count().get_result(&mut *app.conn()).unwrap();
        assert_eq!(n, 2);
        assert_eq!(archive_events(app, "archive.transferred").await.len(), 2, "an exemption moves nothing");

        // Out of scope: another community does not see the archive.
        app.get(&format!("/api/v1/archives/{b}"), "fengchaoshan").await.problem(404, "not_found");
    }
}

both_backends! {
    async fn disposal_after_death_keeps_the_record_jn_8_7(app: &TestApp) {
        let (r, a) = received(app, "350203001001", 1).await;
        let sm = repository(app, "SM-01", "350203", 60, 1).await;
        app.post(&format!("/api/v1/archives/{a}/place"), "archivist", &json!({"repository_id": sm, "room": "1", "shelf": "A", "box": "1"})).await.expect(200);
        let family = json!({"kind": "handed_to_family", "note": "应其子张小明书面申请移交"});
        // A living person's archive is not disposed of.
        app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &family).await.problem(409, "archive_person_alive");
        let died = (today() - time::Duration::days(3)).to_string();
        let report = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": r, "date_of_death": died,
            "certificate_number": "DC-1", "reporter_kind": "relative", "reporter_name": "张小明", "reporter_relation": "儿子"})).await.expect(201);
        app.post(&format!("/api/v1/death-reports/{}/verify", report.body["id"]), "siming", &json!({})).await.expect(200);
        // Bad input: handed over without a record; kept without a retention; a day before the death.
        let res = app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &json!({"kind": "handed_to_family", "on": "2026-11-01"})).await.problem(422, "validation_failed");
        assert_eq!(res.fields(), vec![("/note".into(), "required".into()), ("/on".into(), "before_death".into())]);
        app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &json!({"kind": "kept"})).await.problem(422, "required");
        app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &json!({"kind": "kept", "retention_until": "2026-12-01"})).await.problem(422, "date_order");
        // Wrong role; out of scope is 404 for the reading roles.
        app.post(&format!("/api/v1/archives/{a}/disposal"), "siming", &family).await.problem(403, "forbidden");
        app.get(&format!("/api/v1/archives/{a}"), "fengchaoshan").await.problem(404, "not_found");
        // On loan: not disposed of.
        diesel::update(ar::table.find(a)).set(ar::status.eq("on_loan")).execute(&mut *app.conn()).unwrap();
        app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &family).await.problem(409, "archive_wrong_status");
        diesel::update(ar::table.find(a)).set(ar::status.eq("in_store")).execute(&mut *app.conn()).unwrap();
        // Handed to the family with a record: disposed, its place freed, the record kept.
        let res = app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &family).await.expect(200);
        assert_eq!(res.body["status"], "disposed");
        assert_eq!(res.body["disposal"], json!({"kind": "handed_to_family", "on": "2026-12-06", "note": "应其子张小明书面申请移交", "retention_until": null}));
        assert_eq!(res.body["place"], Value::Null);
        assert_eq!(app.audit_count("archive.dispose"), 1);
        app.post(&format!("/api/v1/archives/{a}/disposal"), "archivist", &family).await.problem(409, "archive_wrong_status");
        // Never deleted through the API.
        let del = app.request("DELETE", &format!("/api/v1/archives/{a}"), Some(&app.token("archivist")), &[], None).await;
        assert!(!del.status.is_success(), "{}", del.status);
        assert_eq!(app.count("archives"), 1);
        assert_eq!(app.get(&format!("/api/v1/archives/{a}"), "hongshan").await.expect(200).body["status"], "disposed");

        // Kept under a retention: still counted in the staffing report.
        let (r2, b) = received(app, "350203001001", 2).await;
        let report = app.post("/api/v1/death-reports", "hongshan", &json!({"retiree_id": r2, "date_of_death": died,
            "certificate_number": "DC-2", "reporter_kind": "relative", "reporter_name": "李小明", "reporter_relation": "儿子"})).await.expect(201);
        app.post(&format!("/api/v1/death-reports/{}/verify", report.body["id"]), "siming", &json!({})).await.expect(200);
        let res = app.post_with(&format!("/api/v1/archives/{b}/disposal"), "archivist", &json!({"kind": "kept", "retention_until": "2056-12-06"}), &[("If-Match", "\"1\"")]).await.expect(200);
        assert_eq!((res.body["disposal"]["kind"].as_str(), res.body["disposal"]["retention_until"].as_str()), (Some("kept"), Some("2056-12-06")));
        let rep = app.get("/api/v1/reports/staffing?jurisdiction=350203", "siming").await.expect(200).body;
        assert_eq!((rep["archive_storage"]["archives"].as_i64(), rep["archive_volumes"].as_i64()), (Some(1), Some(2)), "the kept archive counts, the one handed over does not");
    }
}

both_backends! {
    async fn digitisation_progress_per_repository_and_node_xm_16(app: &TestApp) {
        let sm = repository(app, "SM-01", "350203", 60, 1).await;
        let (_, a) = received(app, "350203001001", 1).await;
        let (_, b) = received(app, "350203001004", 2).await;
        let r3 = person(app, "350203001001", 3).await;
        let mut body = receipt(r3, 1);
        body["preparation"]["digitised"] = Value::Null;
        body["accept_unprepared"] = json!(true);
        let c = app.post("/api/v1/archives", "archivist", &body).await.expect(201).body["id"].as_i64().unwrap();
        for id in [a, c] {
            app.post(&format!("/api/v1/archives/{id}/place"), "archivist", &json!({"repository_id": sm, "room": "1", "shelf": "A", "box": "1"})).await.expect(200);
        }
        let _ = b;
        let r = app.get("/api/v1/archive-digitisation?jurisdiction=350203", "siming").await.expect(200).body;
        assert_eq!(r["node"], json!({"code": "350203", "name": "思明区", "archives": 3, "digitised": 2, "per_mille": 666}));
        let sm_row = r["repositories"].as_array().unwrap().iter().find(|x| x["code"] == "SM-01").cloned().unwrap();
        assert_eq!((sm_row["archives"].as_i64(), sm_row["digitised"].as_i64(), sm_row["per_mille"].as_i64()), (Some(2), Some(1), Some(500)));
        let unplaced = r["repositories"].as_array().unwrap().iter().find(|x| x["code"].is_null()).cloned().unwrap();
        assert_eq!((unplaced["archives"].as_i64(), unplaced["digitised"].as_i64()), (Some(1), Some(1)));
        assert_eq!(r["children"][0]["archives"], 3);
        // Scope: a community sees its own; another district's node is refused.
        let h = app.get("/api/v1/archive-digitisation?jurisdiction=350203001001", "hongshan").await.expect(200).body;
        assert_eq!((h["node"]["archives"].as_i64(), h["node"]["digitised"].as_i64()), (Some(2), Some(1)));
        app.get("/api/v1/archive-digitisation?jurisdiction=350206", "siming").await.problem(422, "jurisdiction_not_found");
        app.get("/api/v1/archive-digitisation?jurisdiction=350203", "admin").await.problem(403, "forbidden");
        // The report as a file: Chinese headers, CSV and XLSX.
        let csv = app.get("/api/v1/exports/archive-digitisation?jurisdiction=350203&labels=zh", "siming").await.expect(200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        assert!(csv.text.contains("编码,名称,档案数,已数字化,数字化率（‰）"), "{}", csv.text);
        assert!(csv.text.contains("350203,思明区,3,2,666"), "{}", csv.text);
        let codes = app.get("/api/v1/exports/archive-digitisation?jurisdiction=350203&labels=codes", "siming").await.expect(200);
        assert!(codes.text.contains("code,name,archives,digitised,per_mille"), "{}", codes.text);
        let x = app.get("/api/v1/exports/archive-digitisation?jurisdiction=350203&format=xlsx", "siming").await.expect(200);
        assert!(x.bytes.starts_with(b"PK"));
        app.get("/api/v1/exports/archive-digitisation?jurisdiction=350203&format=pdf", "siming").await.problem(422, "invalid_enum");
    }
}

both_backends! {
    async fn the_register_exports_with_chinese_headers(app: &TestApp) {
        let sm = repository(app, "SM-01", "350203", 60, 1).await;
        let (_, a) = received(app, "350203001001", 1).await;
        received(app, "350203001004", 2).await;
        app.post(&format!("/api/v1/archives/{a}/place"), "archivist", &json!({"repository_id": sm, "room": "2", "shelf": "A-03", "box": "0117"})).await.expect(200);
        let res = app.get("/api/v1/exports/archives?labels=zh", "siming").await.expect(200);
        assert!(res.header("content-type").unwrap().starts_with("text/csv"));
        assert!(res.text.contains("姓名,社区,卷数,件数,状态,库房,房间,架,盒,接收日期,整理日期,编目日期,装订日期,数字化日期"), "{}", res.text);
        assert!(res.text.contains("张三,350203001001,2,40,在库,SM-01,2,A-03,0117,2026-12-06,2026-11-02,2026-11-02,2026-11-03,2026-11-10"), "{}", res.text);
        assert_eq!(res.text.lines().count(), 3, "{}", res.text);
        assert_eq!(app.audit_count("archive.export"), 1);
        // Codes for machines; scope: a community exports its own people's archives only.
        let codes = app.get("/api/v1/exports/archives?labels=codes", "hongshan").await.expect(200);
        assert!(codes.text.contains("name,community,volumes"), "{}", codes.text);
        assert!(codes.text.contains(",in_store,"), "{}", codes.text);
        assert_eq!(codes.text.lines().count(), 2, "{}", codes.text);
        let x = app.get("/api/v1/exports/archives?format=xlsx", "archivist").await.expect(200);
        assert!(x.bytes.starts_with(b"PK"));
        app.get("/api/v1/exports/archives", "admin").await.problem(403, "forbidden");
        app.get("/api/v1/exports/archives?labels=fr", "siming").await.problem(422, "invalid_enum");
    }
}
