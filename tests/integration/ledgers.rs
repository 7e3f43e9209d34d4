//! Special-group ledgers compared with the civil-affairs hardship list and hospital records of serious illness
//! (GUIDE 第四章五 step 3 "比对"; issue 27, ledgers), on both backends: the feeds kept once per source record, the
//! comparison's findings, health data only for who reads it, roles and scope.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

fn flagged(seq: u16, birth: &str, groups: Value) -> Value {
    let mut body = retiree_body("350203001001", seq);
    body["id_number"] = json!(id_number("350203", birth, seq * 2 + 1));
    body["special_groups"] = groups;
    body
}

both_backends! {
    async fn the_hardship_list_is_compared_with_the_ledger(app: &TestApp) {
        let hardship = json!([{"group": "severe_hardship", "from": "2024-01-01"}]);
        let mut ids = Vec::new();
        let mut numbers = Vec::new();
        for (seq, birth, groups) in [(2, "19640101", hardship.clone()), (3, "19640301", hardship.clone()),
            (4, "19640401", json!([])), (5, "19640501", hardship.clone()), (6, "19640601", hardship.clone())] {
            let body = flagged(seq, birth, groups);
            numbers.push(body["id_number"].as_str().unwrap().to_owned());
            ids.push(app.create_retiree("city", &body).await["id"].as_i64().unwrap());
        }
        let (b, d, e, f, g) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
        let rec = |i: usize, status: &str, since: &str, r: &str| json!({"id_number": numbers[i], "name": "张三",
            "status": status, "since": since, "source_ref": r});
        let batch = json!({"records": [
            rec(0, "listed", "2024-01-01", "TK-1"),
            rec(1, "退出", "2026-06-01", "TK-2"),
            rec(2, "在册", "2025-05-01", "TK-3"),
            rec(3, "listed", "2024-02-01", "TK-4"),
            {"id_number": id_number("350206", "19500101", 7), "name": "李四", "status": "listed", "since": "2025-01-01", "source_ref": "TK-5"},
            rec(0, "listed", "2024-01-01", "TK-1"),
        ]});
        let r = app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-1", "city", &batch).await.expect(201).body;
        assert_eq!((r["records"].clone(), r["kept"].clone(), r["duplicates"].clone(), r["unmatched"].clone()),
            (json!(6), json!(4), json!(1), json!(1)), "{r}");
        assert_eq!(r["unmatched_items"][0]["line"], json!(5));
        assert!(r["unmatched_items"][0]["id_number"].as_str().unwrap().contains('*'));
        assert_eq!(app.audit_count("feed.hardship_list"), 1);
        // The same batch again: the stored answer; other records under the id: 422.
        let again = app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-1", "city", &batch).await.expect(200);
        assert_eq!(again.body, r);
        app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-1", "city", &json!({"records": [rec(0, "listed", "2024-01-01", "TK-9")]}))
            .await.problem(422, "batch_id_reused");
        // A record kept already is not kept twice.
        let r2 = app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-2", "city", &json!({"records": [rec(0, "listed", "2024-01-01", "TK-1")]}))
            .await.expect(201).body;
        assert_eq!((r2["kept"].clone(), r2["duplicates"].clone()), (json!(0), json!(1)));
        // The comparison: D withdrawn, E listed but not in the ledger, F dated otherwise, G absent; B agrees.
        let page = app.get("/api/v1/ledgers/severe_hardship/comparison?jurisdiction=350203001", "xiagang").await.expect(200).body;
        let found: Vec<(i64, String)> = page["items"].as_array().unwrap().iter()
            .map(|i| (i["retiree_id"].as_i64().unwrap(), i["finding"].as_str().unwrap().to_owned())).collect();
        assert_eq!(found, vec![(d, "withdrawn_in_feed".to_owned()), (e, "not_in_ledger".to_owned()),
            (f, "dates_disagree".to_owned()), (g, "absent_from_feed".to_owned())], "{page}");
        assert!(!found.iter().any(|(id, _)| *id == b));
        let items = page["items"].as_array().unwrap();
        assert_eq!((items[2]["ledger_since"].clone(), items[2]["feed_date"].clone(), items[2]["feed_status"].clone(), items[2]["source_ref"].clone()),
            (json!("2024-01-01"), json!("2024-02-01"), json!("listed"), json!("TK-4")));
        assert_eq!((items[1]["computed"].clone(), items[1]["from_feed"].clone()), (json!(false), json!(true)));
        // Paging keeps the order.
        let first = app.get("/api/v1/ledgers/severe_hardship/comparison?jurisdiction=350203001&limit=2", "xiagang").await.expect(200).body;
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let rest = app.get(&format!("/api/v1/ledgers/severe_hardship/comparison?jurisdiction=350203001&cursor={cursor}"), "xiagang").await.expect(200).body;
        assert_eq!(rest["items"].as_array().unwrap().iter().map(|i| i["retiree_id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![f, g]);
        // The file: the new columns with Chinese headers.
        let csv = app.get("/api/v1/exports/ledgers/severe_hardship/comparison?jurisdiction=350203001&labels=zh", "xiagang").await.expect(200);
        let text = String::from_utf8_lossy(&csv.bytes).to_string();
        assert!(text.contains("台账标记起始日,比对数据状态,比对数据日期,来源编号,诊断类别,医疗机构"), "{text}");
        assert!(text.contains(&format!("{d},350203001001,是,,台账在列、比对数据已退出")), "{text}");
        // Bad input names the field; wrong role; out of scope.
        let mut bad = rec(0, "listed", "2024-01-01", "TK-7");
        bad.as_object_mut().unwrap().remove("since");
        let p = app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-3", "city", &json!({"records": [bad]})).await.problem(422, "required");
        assert!(p.body.to_string().contains("/records/0/since"), "{}", p.body);
        let p = app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-3", "city", &json!({"records": [rec(0, "maybe", "2024-01-01", "TK-7")]})).await;
        assert!(p.body.to_string().contains("invalid_enum"), "{}", p.body);
        app.post("/api/v1/feeds/ledgers/hardship_list", "city", &batch).await.problem(422, "required");
        app.post("/api/v1/feeds/ledgers/unknown?batch_id=x", "city", &batch).await.problem(404, "not_found");
        app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-4", "hongshan", &batch).await.problem(403, "forbidden");
        app.get("/api/v1/ledgers/severe_hardship/comparison?jurisdiction=350203001", "huli").await.problem(422, "jurisdiction_not_found");
        // A district centre does not send feeds.
        app.post("/api/v1/feeds/ledgers/hardship_list?batch_id=mz-5", "huli", &json!({"records": [rec(0, "listed", "2024-01-01", "TK-8")]}))
            .await.problem(403, "forbidden");
    }

    async fn hospital_records_are_health_data(app: &TestApp) {
        let ill = json!([{"group": "seriously_ill", "from": "2026-10-08"}]);
        let body = flagged(2, "19640101", ill);
        let number = body["id_number"].as_str().unwrap().to_owned();
        let a = app.create_retiree("city", &body).await["id"].as_i64().unwrap();
        let body2 = flagged(3, "19640301", json!([]));
        let number2 = body2["id_number"].as_str().unwrap().to_owned();
        let c = app.create_retiree("city", &body2).await["id"].as_i64().unwrap();
        let batch = json!({"records": [
            {"id_number": number, "diagnosis_category": "恶性肿瘤", "date": "2026-10-01", "institution": "厦门大学附属第一医院", "source_ref": "HIS-1"},
            {"id_number": number2, "diagnosis_category": "尿毒症", "date": "2026-09-01", "institution": "厦门市第一医院", "source_ref": "HIS-2"},
        ]});
        // The platform's account does not read health data: 403; the city centre does.
        app.post("/api/v1/feeds/ledgers/serious_illness?batch_id=his-1", "platform", &batch).await.problem(403, "forbidden");
        let r = app.post("/api/v1/feeds/ledgers/serious_illness?batch_id=his-1", "city", &batch).await.expect(201).body;
        assert_eq!((r["kept"].clone(), r["unmatched"].clone()), (json!(2), json!(0)));
        let mut bad = batch["records"][0].clone();
        bad["date"] = json!("2999-01-01");
        let p = app.post("/api/v1/feeds/ledgers/serious_illness?batch_id=his-2", "city", &json!({"records": [bad]})).await.problem(422, "date_in_future");
        assert!(p.body.to_string().contains("/records/0/date"), "{}", p.body);
        // The comparison: A dated otherwise, C not in the ledger; the diagnosis only for who reads health data.
        let page = app.get("/api/v1/ledgers/seriously_ill/comparison?jurisdiction=350203001", "xiagang").await.expect(200).body;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.iter().map(|i| (i["retiree_id"].as_i64().unwrap(), i["finding"].as_str().unwrap())).collect::<Vec<_>>(),
            vec![(a, "dates_disagree"), (c, "not_in_ledger")], "{page}");
        assert_eq!((items[0]["diagnosis_category"].clone(), items[0]["institution"].clone()), (json!("恶性肿瘤"), json!("厦门大学附属第一医院")));
        let masked = app.get("/api/v1/ledgers/seriously_ill/comparison?jurisdiction=350203001", "auditor").await.expect(200).body;
        assert_eq!(masked["items"].as_array().unwrap().len(), 2);
        assert_eq!((masked["items"][0]["diagnosis_category"].clone(), masked["items"][0]["institution"].clone()), (Value::Null, Value::Null));
        let csv = app.get("/api/v1/exports/ledgers/seriously_ill/comparison?jurisdiction=350203001", "auditor").await.expect(200);
        assert!(!String::from_utf8_lossy(&csv.bytes).contains("恶性肿瘤"));
        // Other groups have no feed to compare with: only deaths.
        app.get("/api/v1/ledgers/model_worker/comparison?jurisdiction=350203001", "xiagang").await.expect(200);
    }
}
