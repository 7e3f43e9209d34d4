//! Encryption at rest of resident ID numbers and phones (issue 21.10): the stored rows (retirees, dependants,
//! events, rejected import rows) hold no clear ID or phone, reads through the API answer the right values, search
//! by the full ID and the duplicate check go through the keyed hash, `encrypt-data` seals legacy clear rows and
//! re-seals everything under a new active key while reads keep working, and a value under an unknown key id is an
//! error (500), never a default. The test servers use the fixed test keys t1 (active) and t2.

use diesel::prelude::*;
use persistence::schema::{dependents, import_rejected_rows, retirees};
use persistence::sealed::{DataKeys, key_id_of};
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

/// The stored (id_number, phone, id_number_hash) of a retiree.
fn raw_retiree(app: &TestApp, id: i64) -> (String, Option<String>, Option<String>) {
    retirees::table
        .find(id)
        .select((retirees::id_number, retirees::phone, retirees::id_number_hash))
        .first(&mut *app.conn())
        .unwrap()
}

/// Every stored event payload.
fn raw_events(app: &TestApp) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Payload {
        #[diesel(sql_type = diesel::sql_types::Text)]
        payload: String,
    }
    let rows: Vec<Payload> =
        persistence::sql::load(&mut app.conn(), "SELECT payload FROM events ORDER BY id", &[]).unwrap();
    rows.into_iter().map(|r| r.payload).collect()
}

both_backends! {
    async fn ids_and_phones_are_sealed_at_rest_and_read_back_clear(app: &TestApp) {
        let body = retiree_body("350203001001", 71);
        let idn = body["id_number"].as_str().unwrap().to_owned();
        let created = app.create_retiree("hongshan", &body).await;
        let id = created["id"].as_i64().unwrap();
        let (stored_id, stored_phone, hash) = raw_retiree(app, id);
        assert!(stored_id.starts_with("v1:t1:"), "{stored_id}");
        assert!(!stored_id.contains(&idn[6..14]), "no clear digits in {stored_id}");
        let stored_phone = stored_phone.unwrap();
        assert!(stored_phone.starts_with("v1:t1:") && !stored_phone.contains("13812345678"), "{stored_phone}");
        assert_eq!(hash.as_deref(), Some(DataKeys::for_tests().hash(&idn).as_str()));
        // The API answers the clear values to a role that sees them.
        let read = app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.expect(200);
        assert_eq!((read.body["id_number"].as_str(), read.body["phone"].as_str()), (Some(idn.as_str()), Some("13812345678")));
        // Search by the full ID goes through the hash.
        let found = app.post("/api/v1/retirees/search", "hongshan", &json!({"id_number": idn})).await.expect(200);
        assert_eq!(found.body["items"][0]["id"], id);
        let other = id_number("350203", "19550101", 999);
        let none = app.post("/api/v1/retirees/search", "hongshan", &json!({"id_number": other})).await.expect(200);
        assert_eq!(none.body["items"], json!([]));
        // A second registration of the same ID is still refused.
        app.post("/api/v1/retirees", "hongshan", &body).await.problem(409, "id_number_taken");
        assert_eq!(app.count("retirees"), 1);
        // A dependant: sealed and hashed; the same ID twice is refused.
        let base = format!("/api/v1/retirees/{id}/dependents");
        let dep_id = id_number("350203", "19570303", 14);
        let dep = json!({"relation": "spouse", "id_number": dep_id, "name": "李四", "supported": true});
        let d = app.post(&base, "hongshan", &dep).await.expect(201);
        app.post(&base, "hongshan", &dep).await.problem(409, "dependent_id_number_taken");
        let (stored, hash): (String, Option<String>) = dependents::table
            .find(d.body["id"].as_i64().unwrap())
            .select((dependents::id_number, dependents::id_number_hash))
            .first(&mut *app.conn())
            .unwrap();
        assert!(stored.starts_with("v1:t1:") && !stored.contains(&dep_id[6..14]), "{stored}");
        assert_eq!(hash.as_deref(), Some(DataKeys::for_tests().hash(&dep_id).as_str()));
        assert_eq!(app.get(&base, "hongshan").await.expect(200).body[0]["id_number"], dep_id.as_str());
        // The change feed stores them sealed and opens them for its readers.
        let payloads = raw_events(app);
        assert!(!payloads.is_empty());
        for p in &payloads {
            assert!(!p.contains(&idn) && !p.contains(&dep_id) && !p.contains("13812345678"), "clear value in event {p}");
        }
        let feed = app.get("/api/v1/events?after=0&limit=50", "platform").await.expect(200);
        let dep_event = feed.body["items"].as_array().unwrap().iter().find(|e| e["type"] == "dependent.created").unwrap();
        let shown = dep_event["payload"]["dependent"]["id_number"].as_str().unwrap();
        assert!(shown == dep_id || shown == domain::mask::id_number(&dep_id), "opened then shown per role: {shown}");
        assert!(!shown.starts_with("v1:"));
    }

    async fn encrypt_data_seals_clear_rows_and_rotates_to_the_active_key(app: &TestApp) {
        let a = app.create_retiree("hongshan", &retiree_body("350203001001", 72)).await;
        let b_body = retiree_body("350203001001", 73);
        let b = app.create_retiree("hongshan", &b_body).await;
        let (ida, idb) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
        let b_idn = b_body["id_number"].as_str().unwrap().to_owned();
        let dep_id = id_number("350203", "19570303", 15);
        app.post(&format!("/api/v1/retirees/{ida}/dependents"), "hongshan",
            &json!({"relation": "spouse", "id_number": dep_id, "name": "李四", "supported": true})).await.expect(201);
        // B as a row written before encryption at rest: clear values, no hash.
        diesel::update(retirees::table.find(idb))
            .set((retirees::id_number.eq(&b_idn), retirees::phone.eq("13900000000"), retirees::id_number_hash.eq(None::<String>)))
            .execute(&mut *app.conn())
            .unwrap();
        assert_eq!(app.get(&format!("/api/v1/retirees/{idb}"), "hongshan").await.expect(200).body["phone"], "13900000000");
        // Rotate to t2 (the servers know both keys).
        let t2 = DataKeys::for_tests_active("t2");
        let before = persistence::sealing::pending(&mut app.conn(), &t2).unwrap();
        assert_eq!(before.iter().find(|(t, _)| t == "retirees").unwrap().1, 2);
        let report = persistence::sealing::run(&mut app.conn(), &t2).unwrap();
        assert_eq!(report.tables.iter().find(|t| t.0 == "retirees").map(|t| (t.1, t.2, t.3)), Some((2, 2, 0)));
        assert_eq!(report.tables.iter().find(|t| t.0 == "dependents").map(|t| (t.1, t.2)), Some((1, 1)));
        assert!(report.tables.iter().find(|t| t.0 == "events").unwrap().2 > 0, "event payloads re-sealed");
        for id in [ida, idb] {
            let (stored_id, stored_phone, hash) = raw_retiree(app, id);
            assert_eq!(key_id_of(&stored_id), Some("t2"), "{stored_id}");
            assert_eq!(key_id_of(stored_phone.as_deref().unwrap()), Some("t2"));
            assert!(hash.is_some());
        }
        for p in raw_events(app) {
            assert!(!p.contains("v1:t1:") && !p.contains(&dep_id), "{p}");
        }
        assert!(persistence::sealing::pending(&mut app.conn(), &t2).unwrap().iter().all(|(_, n)| *n == 0));
        // Again: nothing left to do.
        assert_eq!(persistence::sealing::run(&mut app.conn(), &t2).unwrap().rewritten(), 0);
        // Reads, search and the duplicate check work on the rotated rows.
        let read = app.get(&format!("/api/v1/retirees/{idb}"), "hongshan").await.expect(200);
        assert_eq!((read.body["id_number"].as_str(), read.body["phone"].as_str()), (Some(b_idn.as_str()), Some("13900000000")));
        let found = app.post("/api/v1/retirees/search", "hongshan", &json!({"id_number": b_idn})).await.expect(200);
        assert_eq!(found.body["items"][0]["id"], idb);
        app.post("/api/v1/retirees", "hongshan", &b_body).await.problem(409, "id_number_taken");
        assert_eq!(app.get(&format!("/api/v1/retirees/{ida}/dependents"), "hongshan").await.expect(200).body[0]["id_number"], dep_id.as_str());
        let feed = app.get("/api/v1/events?after=0&limit=50", "platform").await.expect(200);
        assert!(!feed.body["items"].as_array().unwrap().is_empty());
    }

    async fn a_value_under_an_unknown_key_or_damaged_is_an_error(app: &TestApp) {
        let created = app.create_retiree("hongshan", &retiree_body("350203001001", 74)).await;
        let id = created["id"].as_i64().unwrap();
        let (stored, _, _) = raw_retiree(app, id);
        let unknown = stored.replacen("v1:t1:", "v1:zz:", 1);
        diesel::update(retirees::table.find(id)).set(retirees::id_number.eq(&unknown)).execute(&mut *app.conn()).unwrap();
        app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.problem(500, "internal_error");
        // Damaged: the right key id, another ciphertext (authentication fails).
        let damaged = DataKeys::new(&[("t1".into(), vec![7; 32])], "t1", vec![1; 32]).unwrap().seal("350203195501010016");
        diesel::update(retirees::table.find(id)).set(retirees::id_number.eq(&damaged)).execute(&mut *app.conn()).unwrap();
        app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.problem(500, "internal_error");
        // encrypt-data stops on it too, naming the row.
        let err = persistence::sealing::run(&mut app.conn(), &DataKeys::for_tests_active("t2")).unwrap_err();
        assert!(err.to_string().contains(&format!("retirees id {id} column id_number")), "{err}");
    }

    async fn imports_seal_rows_and_match_through_the_hash(app: &TestApp) {
        let a = id_number("350203", "19500101", 41);
        let header = "name,id_number,sex,birth_date,retirement_date,category,management_level,community_code,phone";
        let csv = format!(
            "{header}\n王建国,{a},male,1950-01-01,2010-01-01,enterprise_employee,city_managed,350203001001,13811112222\n\
             李四,{a},male,1950-01-01,2010-01-01,enterprise_employee,city_managed,999999999999,13811113333\n"
        );
        let token = app.token("importer");
        let res = app
            .request("POST", "/api/v1/imports/retirees?mode=partial", Some(&token), &[("Content-Type", "text/csv")], Some(csv.clone().into_bytes()))
            .await
            .expect(202);
        let job = follow_job(app, &token, res.header("location").unwrap()).await;
        assert_eq!((job["created"].as_i64(), job["rejected"].as_i64()), (Some(1), Some(1)), "{job}");
        let id: i64 = retirees::table.select(retirees::id).first(&mut *app.conn()).unwrap();
        let (stored, phone, hash) = raw_retiree(app, id);
        assert!(stored.starts_with("v1:t1:") && phone.unwrap().starts_with("v1:t1:"));
        assert_eq!(hash.as_deref(), Some(DataKeys::for_tests().hash(&a).as_str()));
        let read = app.get(&format!("/api/v1/retirees/{id}"), "platform").await.expect(200);
        assert_eq!(read.body["id_number"], a.as_str());
        // The rejected row is kept sealed and given back clear.
        let cells: Vec<String> = import_rejected_rows::table.select(import_rejected_rows::cells).load(&mut *app.conn()).unwrap();
        assert_eq!(cells.len(), 1);
        assert!(cells[0].starts_with("v1:t1:") && !cells[0].contains(&a) && !cells[0].contains("13811113333"), "{}", cells[0]);
        let rejected = app.get(&format!("/api/v1/imports/{}/errors.csv", job["id"]), "importer").await.expect(200);
        assert!(rejected.text.contains("李四") && rejected.text.contains("999999999999"), "{}", rejected.text);
        // The same ID again is a conflict found through the hash.
        let again = format!("{header}\n王建国,{a},male,1950-01-01,2010-01-01,enterprise_employee,city_managed,350203001001,13811112222\n");
        let res = app
            .request("POST", "/api/v1/imports/retirees?mode=partial", Some(&token), &[("Content-Type", "text/csv")], Some(again.into_bytes()))
            .await
            .expect(202);
        let job = follow_job(app, &token, res.header("location").unwrap()).await;
        assert_eq!((job["created"].as_i64(), job["rejected"].as_i64()), (Some(0), Some(1)), "{job}");
        assert_eq!(app.count("retirees"), 1);
    }
}

/// Follows an import job to its end.
async fn follow_job(app: &TestApp, token: &str, location: &str) -> serde_json::Value {
    for _ in 0..2400 {
        let res = app.request("GET", location, Some(token), &[], None).await.expect(200);
        if !matches!(res.body["status"].as_str(), Some("queued" | "running")) {
            return res.body;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job at {location} did not end");
}
