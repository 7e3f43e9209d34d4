//! Storage guarantees: migrations up/down/up, the append-only audit log, concurrent writers.

use diesel::prelude::*;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn migrations_run_up_down_up(app: &TestApp) {
        let pool = app.pool.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            // The fixture data must go first: reverting drops tables with foreign keys between them.
            persistence::connection::revert_all_migrations(&mut conn).unwrap();
            let applied = persistence::run_migrations(&mut conn).unwrap();
            let dirs = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/persistence/migrations/sqlite")).unwrap();
            assert_eq!(applied.len(), dirs.count(), "every migration applied again");
            // Up again applies nothing.
            assert!(persistence::run_migrations(&mut conn).unwrap().is_empty());
        })
        .await
        .unwrap();
        assert_eq!(app.count("jurisdictions"), 0);
        assert_eq!(app.count("audit_log"), 0);
    }

    async fn audit_log_refuses_update_and_delete(app: &TestApp) {
        app.create_retiree("hongshan", &retiree_body("350203001001", 40)).await;
        use persistence::schema::audit_log::dsl;
        let mut conn = app.conn();
        let updated = diesel::update(dsl::audit_log).set(dsl::actor.eq("someone-else")).execute(&mut *conn);
        assert!(updated.is_err(), "UPDATE on audit_log must fail");
        let deleted = diesel::delete(dsl::audit_log).execute(&mut *conn);
        assert!(deleted.is_err(), "DELETE on audit_log must fail");
        drop(conn);
        assert_eq!(app.audit_count("retiree.create"), 1);
        let actors: Vec<String> = dsl::audit_log.select(dsl::actor).load(&mut *app.conn()).unwrap();
        assert!(actors.iter().all(|a| a == "hongshan"));
    }

    async fn concurrent_writers_wait_instead_of_failing(app: &TestApp) {
        let mut tasks = Vec::new();
        for seq in 100..124u16 {
            let body = retiree_body("350203001001", seq);
            let token = app.token("hongshan");
            let base = app.base.clone();
            tasks.push(actix_web::rt::spawn(async move {
                let client = awc::Client::default();
                let mut res = client
                    .post(format!("{base}/api/v1/retirees"))
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .send_json(&body)
                    .await
                    .unwrap();
                let _ = res.body().await;
                res.status().as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 201);
        }
        assert_eq!(app.count("retirees"), 24);
        assert_eq!(app.audit_count("retiree.create"), 24);
        // And concurrent updates of one record: exactly one wins per version, the others get 412.
        let list = app.get("/api/v1/retirees?limit=1", "hongshan").await.expect(200);
        let id = list.body["items"][0]["id"].as_i64().unwrap();
        let mut tasks = Vec::new();
        for i in 0..6 {
            let token = app.token("hongshan");
            let base = app.base.clone();
            tasks.push(actix_web::rt::spawn(async move {
                let client = awc::Client::default();
                let mut res = client
                    .patch(format!("{base}/api/v1/retirees/{id}"))
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .insert_header(("If-Match", "\"1\""))
                    .send_json(&json!({"notes": format!("writer {i}")}))
                    .await
                    .unwrap();
                let _ = res.body().await;
                res.status().as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        statuses.sort();
        assert_eq!(statuses, vec![200, 412, 412, 412, 412, 412]);
        assert_eq!(app.get(&format!("/api/v1/retirees/{id}"), "hongshan").await.body["version"], 2);
    }
}

both_backends! {
    async fn whole_country_division_file_imports(app: &TestApp) {
        let retiree = app.create_retiree("hongshan", &retiree_body("350203001001", 50)).await;
        let pool = app.pool.clone();
        let report = actix_web::rt::task::spawn_blocking(move || {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/divisions/china-2023.csv.gz");
            let mut conn = pool.get().unwrap();
            app::imports::divisions::import_file(&mut conn, &file, app::imports::Mode::Atomic, "test").unwrap()
        })
        .await
        .unwrap();
        assert_eq!(report.rows, 665_276);
        assert_eq!(report.rejected, 0);
        // The fixture's eleven nodes are real codes: they are updated or unchanged, never duplicated. 3502 was a
        // root and now hangs under 福建省 (35), so it counts as updated.
        assert_eq!(report.created + report.updated + report.unchanged, 665_276);
        assert_eq!(report.created, 665_276 - 11);
        assert_eq!(report.updated, 1);
        assert_eq!(app.count("jurisdictions"), 665_276);
        let city = app.get("/api/v1/jurisdictions/3502", "city").await.expect(200);
        assert_eq!(city.body["parent_code"], "35");
        // Scopes follow the moved subtree: the community still sees its retiree, another district still not.
        app.get(&format!("/api/v1/retirees/{}", retiree["id"]), "hongshan").await.expect(200);
        app.get(&format!("/api/v1/retirees/{}", retiree["id"]), "huli").await.problem(404, "not_found");
        let streets = app.get("/api/v1/jurisdictions/350203/children?limit=500", "siming").await.expect(200);
        assert_eq!(streets.body["items"].as_array().unwrap().len(), 10);
        app.get("/api/v1/jurisdictions/4301", "city").await.problem(404, "not_found");
    }
}
