//! The role table (`domain::roles`, `docs/roles.md`) against the running service: for every role, one account
//! at district 350203, every permission probed by a real request, and the masking of sensitive fields in the
//! list and detail views.

use domain::roles::SensitiveField;
use domain::{Permission, Role};
use persistence::accounts::NewAccount;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// The node every probe account is bound to.
const NODE: &str = "350203";

fn login_of(role: Role) -> String {
    format!("probe_{}", role.as_str())
}

/// Inserts one account per role at [`NODE`] and returns (role, token) pairs.
fn accounts_for_every_role(app: &TestApp) -> Vec<(Role, String)> {
    let hash = api::auth::hash_secret("probe-password-123").unwrap();
    let mut out = Vec::new();
    for role in Role::ALL.iter().copied() {
        let login = login_of(role);
        let kind = if role == Role::Integration { "service" } else { "user" };
        persistence::accounts::create(
            &mut app.conn(),
            &NewAccount {
                kind: kind.into(),
                login: login.clone(),
                secret_hash: hash.clone(),
                display_name: login.clone(),
                role: role.as_str().into(),
                jurisdiction_code: NODE.into(),
            },
        )
        .unwrap();
        out.push((role, sign(&claims(&login, kind, role.as_str(), NODE, 3600), SECRET)));
    }
    out
}

/// One request that needs exactly `permission`, made with `token`; `n` keeps created objects unique. The match is
/// exhaustive, so a new permission without a probe does not compile.
async fn probe(app: &TestApp, token: &str, permission: Permission, n: u16) -> Resp {
    let json_type = ("Content-Type", "application/json");
    match permission {
        Permission::JurisdictionRead => {
            app.request("GET", "/api/v1/jurisdictions/350203", Some(token), &[], None).await
        }
        Permission::JurisdictionWrite => {
            let body = json!({"name": "厦港街道"}).to_string().into_bytes();
            app.request(
                "PATCH",
                "/api/v1/jurisdictions/350203001",
                Some(token),
                &[json_type, ("If-Match", "*")],
                Some(body),
            )
            .await
        }
        Permission::JurisdictionImport => {
            let csv = format!(
                "code,name,level,parent_code\n{},角色测试社区{n},community,350203001\n",
                350_203_001_100u64 + u64::from(n)
            );
            app.request(
                "POST",
                "/api/v1/imports/jurisdictions",
                Some(token),
                &[("Content-Type", "text/csv")],
                Some(csv.into_bytes()),
            )
            .await
        }
        Permission::CalendarWrite => {
            let csv = format!("date,kind,name\n2030-01-{n:02},holiday,角色测试{n}\n");
            let headers = [("Content-Type", "text/csv")];
            app.request("POST", "/api/v1/imports/calendar", Some(token), &headers, Some(csv.into_bytes())).await
        }
        Permission::RetireeRead => app.request("GET", "/api/v1/retirees", Some(token), &[], None).await,
        Permission::PetitionRegister => {
            let body = json!({"channel": "phone", "category": "other", "text": "角色测试",
                "persons": [{"name": "角色测试", "phone": "13800138000"}]});
            app.request("POST", "/api/v1/petitions", Some(token), &[json_type], Some(body.to_string().into_bytes()))
                .await
        }
        Permission::PetitionHandle => {
            // The roles that handle are those that register: the case is the caller's own (else 403 before it).
            let body = json!({"channel": "phone", "category": "other", "text": "角色测试",
                "persons": [{"name": "角色测试", "phone": "13800138000"}]});
            let made = app
                .request("POST", "/api/v1/petitions", Some(token), &[json_type], Some(body.to_string().into_bytes()))
                .await;
            let id = made.body["id"].as_i64().unwrap_or(999_999);
            let path = format!("/api/v1/petitions/{id}/acknowledge");
            app.request("POST", &path, Some(token), &[json_type], Some(b"{}".to_vec())).await
        }
        Permission::PetitionSupervise => {
            app.request("GET", "/api/v1/petitions/stats?month=2026-12", Some(token), &[], None).await
        }
        // Elderly care services (issue 26).
        Permission::CareServiceManage => {
            let body = json!({"name": "角色测试", "kind": "home_care_provider", "address": "角色测试路1号",
                "beds_total": 0, "services": [{"item": "meal_help", "price": "10.00"}], "verified_via": "phone"});
            let body = body.to_string().into_bytes();
            app.request("POST", "/api/v1/care/institutions", Some(token), &[json_type], Some(body)).await
        }
        Permission::CareServiceRead => app.request("GET", "/api/v1/care/institutions", Some(token), &[], None).await,
        // Monthly reports (issue 27): each probe closes its own month of a community (no children to wait for).
        Permission::ReportClose => {
            let body =
                json!({"jurisdiction": "350203001001", "month": format!("2025-{n:02}")}).to_string().into_bytes();
            app.request("POST", "/api/v1/reports/monthly/closes", Some(token), &[json_type], Some(body)).await
        }
        Permission::ReportReopen => {
            let month =
                time::Date::from_calendar_date(2024, time::Month::try_from(u8::try_from(n).unwrap()).unwrap(), 1)
                    .unwrap();
            persistence::reports::close(&mut app.conn(), "350203001004", month, "{}", "[]", "probe").unwrap();
            let body = json!({"reason": "角色测试"}).to_string().into_bytes();
            let path = format!("/api/v1/reports/monthly/closes/350203001004/2024-{n:02}/reopen");
            app.request("POST", &path, Some(token), &[json_type], Some(body)).await
        }
        Permission::RetireeWrite => {
            let body = retiree_body("350203001001", 100 + n).to_string().into_bytes();
            app.request("POST", "/api/v1/retirees", Some(token), &[json_type], Some(body)).await
        }
        Permission::AccountManage => app.request("GET", "/api/v1/users", Some(token), &[], None).await,
        Permission::AuditRead => app.request("GET", "/api/v1/audit-log", Some(token), &[], None).await,
        Permission::PolicyWrite => {
            let body =
                json!({"valid_from": format!("2026-01-{n:02}"), "preset": "xiamen-2025"}).to_string().into_bytes();
            app.request("POST", "/api/v1/jurisdictions/350203/policies", Some(token), &[json_type], Some(body)).await
        }
        Permission::RetireeExport => app.request("GET", "/api/v1/exports/retirees", Some(token), &[], None).await,
        Permission::RetireeImport => {
            // A valid header without rows: the job runs and writes nothing.
            let headers = [("Content-Type", "text/csv")];
            let file = b"name,id_number,retirement_date,category,management_level,community_code\r\n".to_vec();
            app.request("POST", "/api/v1/imports/retirees", Some(token), &headers, Some(file)).await
        }
        Permission::PensionManage => {
            let id = app.create_retiree("siming", &retiree_body("350203001001", 300 + n)).await["id"].clone();
            let body = json!({"reason": "other_legal", "note": "角色测试"}).to_string().into_bytes();
            app.request("POST", &format!("/api/v1/retirees/{id}/suspensions"), Some(token), &[json_type], Some(body))
                .await
        }
        Permission::CertificationRecord => {
            let id = app.create_retiree("siming", &retiree_body("350203001001", 400 + n)).await["id"].clone();
            let body = json!({"method": "community_worker", "certified_on": today(), "certifier_name": "王五"})
                .to_string()
                .into_bytes();
            let path = format!("/api/v1/retirees/{id}/certifications");
            app.request("POST", &path, Some(token), &[json_type], Some(body)).await
        }
        Permission::CertificationRun => {
            let body = json!({"jurisdiction": NODE, "as_of": today(), "dry_run": true}).to_string().into_bytes();
            app.request("POST", "/api/v1/certification-runs", Some(token), &[json_type], Some(body)).await
        }
        Permission::FeedSubmit => {
            let line = json!({"id_number": id_number("350203", "19400101", 501), "date": today(), "source": "probe"});
            let path = format!("/api/v1/feeds/medical_visit?batch_id=probe-{n}");
            let headers = [("Content-Type", "application/x-ndjson")];
            app.request("POST", &path, Some(token), &headers, Some(format!("{line}\n").into_bytes())).await
        }
        Permission::EventRead => app.request("GET", "/api/v1/events", Some(token), &[], None).await,
        Permission::WebhookManage => {
            let body = json!({"url": format!("http://127.0.0.1:9/probe-{n}"), "event_types": ["retiree.created"]})
                .to_string()
                .into_bytes();
            app.request("POST", "/api/v1/webhooks", Some(token), &[json_type], Some(body)).await
        }
        Permission::FundManage => {
            // A budget per role, each for its own year, so none collides with another.
            let body = json!({"jurisdiction": NODE, "year": 2000 + i32::from(n)}).to_string().into_bytes();
            app.request("POST", "/api/v1/funding/budgets", Some(token), &[json_type], Some(body)).await
        }
        // Personnel archives (issue 23).
        Permission::ArchiveManage => {
            let body = json!({"code": format!("PROBE-{n}"), "name": "角色测试库房", "jurisdiction": NODE, "area_m2": 10,
                "keepers": 0});
            let body = body.to_string().into_bytes();
            app.request("POST", "/api/v1/archive-repositories", Some(token), &[json_type], Some(body)).await
        }
        Permission::ArchiveReadMaterials => {
            let r = app.create_retiree("siming", &retiree_body("350203001001", 500 + n)).await["id"].clone();
            let body = json!({"retiree_id": r, "volumes": 1, "pieces": 1, "delivered_by": "角色测试",
                "preparation": {"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-02",
                    "digitised": "2026-11-02"}});
            let id = app.post("/api/v1/archives", "archivist", &body).await.expect(201).body["id"].clone();
            app.request("GET", &format!("/api/v1/archives/{id}/materials"), Some(token), &[], None).await
        }
        // Personnel archives: use (issue 23).
        Permission::ArchiveUse => {
            let r = app.create_retiree("siming", &retiree_body("350203001001", 700 + n)).await["id"].clone();
            let body = json!({"retiree_id": r, "volumes": 1, "pieces": 1, "delivered_by": "角色测试",
                "preparation": {"sorted": "2026-11-02", "catalogued": "2026-11-02", "bound": "2026-11-02",
                    "digitised": "2026-11-02"}});
            let id = app.post("/api/v1/archives", "archivist", &body).await.expect(201).body["id"].clone();
            let body =
                json!({"kind": "consult", "requester": "角色测试", "purpose": "角色测试"}).to_string().into_bytes();
            app.request("POST", &format!("/api/v1/archives/{id}/loans"), Some(token), &[json_type], Some(body)).await
        }
        // Community services (issue 25): health records.
        Permission::HealthRead => app.request("GET", "/api/v1/health-records/missing", Some(token), &[], None).await,
        Permission::HealthWrite => {
            let body = json!({"name": format!("角色测试卫生站{n}"), "address": "角色测试路2号"});
            let body = body.to_string().into_bytes();
            app.request("POST", "/api/v1/health-institutions", Some(token), &[json_type], Some(body)).await
        }
        Permission::ActivityManage => {
            let body = json!({"year": 2000 + i32::from(n), "title": "角色测试活动计划", "content": "角色测试"});
            let body = body.to_string().into_bytes();
            app.request("POST", "/api/v1/activity-plans", Some(token), &[json_type], Some(body)).await
        }
        Permission::VolunteerManage => {
            let body = json!({"pool": "350203", "name": format!("角色测试志愿者{n}"), "skills": []});
            let body = body.to_string().into_bytes();
            app.request("POST", "/api/v1/volunteers", Some(token), &[json_type], Some(body)).await
        }
        // Community services (issue 25 part 4).
        Permission::AllowanceManage => {
            // The bands at the community (JN Art. 7(7): a local rule; the defaults otherwise), once: the community's
            // own version wins over the district's that the policy probe adds.
            if n == 1 {
                let mut p = serde_json::to_value(domain::policy::presets::defaults()).unwrap();
                p["high_age_allowance"]["bands"] =
                    json!({"value": [{"from_age": 80, "monthly_amount": "100.00"}], "source": "角色测试"});
                let path = "/api/v1/jurisdictions/350203001001/policies";
                app.post(path, "city", &json!({"valid_from": "2026-01-01", "parameters": p})).await.expect(201);
            }
            let mut body = retiree_body("350203001001", 700 + n);
            body["id_number"] = json!(id_number("350203", "19400101", 700 + n));
            let id = app.create_retiree("siming", &body).await["id"].clone();
            let body = json!({"retiree_id": id}).to_string().into_bytes();
            app.request("POST", "/api/v1/high-age-allowance/applications", Some(token), &[json_type], Some(body)).await
        }
        Permission::AssistanceManage => {
            let mut body = retiree_body("350203001001", 800 + n);
            body["id_number"] = json!(id_number("350203", "19500505", 800 + n));
            let id = app.create_retiree("siming", &body).await["id"].clone();
            let body =
                json!({"retiree_id": id, "kind": "minimum_living", "hardship": "角色测试"}).to_string().into_bytes();
            app.request("POST", "/api/v1/assistance-referrals", Some(token), &[json_type], Some(body)).await
        }
        // Community services (issue 25): tracked errands.
        Permission::ErrandManage => {
            let mut body = retiree_body("350203001001", 900 + n);
            body["id_number"] = json!(id_number("350203", "19520606", 900 + n));
            let id = app.create_retiree("siming", &body).await["id"].clone();
            let body = json!({"retiree_id": id, "kind": "chronic_disease_qualification"}).to_string().into_bytes();
            app.request("POST", "/api/v1/errands", Some(token), &[json_type], Some(body)).await
        }
        // Community services (issue 25): party members (a branch at a community of the probes' district).
        Permission::PartyManage => {
            let body = json!({"name": format!("角色测试党支部{n}"), "jurisdiction": "350203001001",
                "founded_on": "2020-07-01"});
            let body = body.to_string().into_bytes();
            app.request("POST", "/api/v1/party-branches", Some(token), &[json_type], Some(body)).await
        }
    }
}

/// Today in China, as the service counts it.
fn today() -> String {
    crate::helpers::today().to_string()
}

fn masked_id(id: &str) -> String {
    format!("{}********{}", &id[..6], &id[14..])
}

both_backends! {
    async fn role_table(app: &TestApp) {
        let accounts = accounts_for_every_role(app);
        assert_eq!(accounts.len(), Role::ALL.len());
        let mut mismatches = Vec::new();
        let mut probed = 0;
        for (n, (role, token)) in accounts.iter().enumerate() {
            let n = u16::try_from(n + 1).unwrap();
            // What the service says the role may do.
            let me = app.request("GET", "/api/v1/auth/me", Some(token), &[], None).await.expect(200);
            let expected: Vec<Value> = Permission::ALL.iter().filter(|p| role.allows(**p)).map(|p| json!(p.as_str())).collect();
            assert_eq!(me.body["permissions"], Value::Array(expected), "{role}");
            assert_eq!(me.body["role"], role.as_str());
            for permission in Permission::ALL.iter().copied() {
                probed += 1;
                let res = probe(app, token, permission, n).await;
                let status = res.status.as_u16();
                let ok = if role.allows(permission) {
                    (200..300).contains(&status)
                } else {
                    status == 403 && res.body["code"] == "forbidden" && res.header("content-type") == Some("application/problem+json")
                };
                if !ok {
                    mismatches.push(format!("{role} {permission}: allowed={} got {status} {}", role.allows(permission), res.text));
                }
                // An allowed write really happened.
                if role.allows(permission) && (200..300).contains(&status) {
                    match permission {
                        Permission::JurisdictionImport => assert_eq!(res.body["created"], 1, "{role}: {}", res.text),
                        Permission::CalendarWrite => assert_eq!(res.body["created"], 1, "{role}: {}", res.text),
                        Permission::RetireeWrite => assert_eq!(status, 201, "{role}"),
                        Permission::JurisdictionWrite => assert_eq!(res.body["name"], "厦港街道", "{role}"),
                        Permission::RetireeExport => assert_eq!(status, 200, "{role}: {}", res.text),
                        Permission::RetireeImport => assert_eq!(status, 202, "{role}: {}", res.text),
                        Permission::PensionManage => assert_eq!(res.body["to_status"], "suspended", "{role}: {}", res.text),
                        Permission::CertificationRecord => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::CertificationRun => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::FeedSubmit => assert_eq!(res.body["unmatched"], 1, "{role}: {}", res.text),
                        Permission::EventRead => assert!(res.body["items"].is_array(), "{role}: {}", res.text),
                        Permission::WebhookManage => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::FundManage => assert_eq!(res.body["year"], 2000 + i32::from(n), "{role}: {}", res.text),
                        Permission::ArchiveManage => assert_eq!(status, 201, "{role}: {}", res.text),
                        Permission::ArchiveReadMaterials => assert!(res.body["items"].is_array(), "{role}: {}", res.text),
                        Permission::ArchiveUse => assert_eq!(res.body["status"], "requested", "{role}: {}", res.text),
                        _ => {}
                    }
                }
            }
        }
        assert_eq!(probed, Role::ALL.len() * Permission::ALL.len());
        assert!(mismatches.is_empty(), "role table and service disagree:\n{}", mismatches.join("\n"));
        // Refused writes left nothing behind; allowed ones left exactly one thing each.
        let allowed = |p: Permission| Role::ALL.iter().filter(|r| r.allows(p)).count() as i64;
        // The pension and certification probes register one person each per role first.
        // Issue 23: the materials probe registers one more person (and an archive) per role.
        // Issue 23, use: the loan probe registers one more person (and an archive) per role.
        // Issue 25 part 4: the allowance probe (born 1940) and the assistance probe register one more person each
        // per role. Issue 25: the errand probe registers one more person per role.
        assert_eq!(app.count("retirees"), allowed(Permission::RetireeWrite) + 7 * Role::ALL.len() as i64);
        assert_eq!(app.count("errands"), allowed(Permission::ErrandManage));
        assert_eq!(app.count("archive_loans"), allowed(Permission::ArchiveUse));
        assert_eq!(app.count("archive_repositories"), allowed(Permission::ArchiveManage));
        assert_eq!(app.count("pension_status_changes"), allowed(Permission::PensionManage));
        assert_eq!(app.count("certifications"), allowed(Permission::CertificationRecord));
        assert_eq!(app.count("certification_runs"), allowed(Permission::CertificationRun));
        assert_eq!(app.count("feed_batches"), allowed(Permission::FeedSubmit));
        assert_eq!(app.count("fund_budgets"), allowed(Permission::FundManage));
        assert_eq!(app.count("jurisdictions"), 11 + allowed(Permission::JurisdictionImport));
        assert_eq!(app.audit_count("jurisdiction.rename"), allowed(Permission::JurisdictionWrite));
        assert_eq!(app.audit_count("jurisdiction.import"), allowed(Permission::JurisdictionImport));
        assert_eq!(app.audit_count("calendar.import"), allowed(Permission::CalendarWrite));
        assert_eq!(app.audit_count("retiree.export"), allowed(Permission::RetireeExport));
        assert_eq!(app.count("import_jobs"), allowed(Permission::RetireeImport));
        assert_eq!(app.count("webhooks"), allowed(Permission::WebhookManage));
        assert_eq!(app.count("party_branches"), allowed(Permission::PartyManage));
    }

    async fn sensitive_fields_follow_the_visibility_rows(app: &TestApp) {
        let accounts = accounts_for_every_role(app);
        let body = retiree_body("350203001001", 99);
        let created = app.create_retiree("siming", &body).await;
        let id = created["id"].as_i64().unwrap();
        let clear = |f: SensitiveField| body[f.as_str()].as_str().unwrap().to_owned();
        let masked = |f: SensitiveField| match f {
            SensitiveField::IdNumber => masked_id(body["id_number"].as_str().unwrap()),
            SensitiveField::Phone => "138****5678".to_owned(),
            SensitiveField::Address => "厦门市思明区****".to_owned(),
        };
        for f in SensitiveField::ALL {
            assert_ne!(clear(f), masked(f));
        }
        let dependant_id = id_number("350203", "19570303", 5);
        app.post(&format!("/api/v1/retirees/{id}/dependents"), "siming",
            &json!({"relation": "spouse", "id_number": dependant_id, "name": "李四", "supported": true})).await.expect(201);
        let search_body = json!({"id_number": body["id_number"]}).to_string().into_bytes();
        let mut checked = 0;
        for (role, token) in &accounts {
            if !role.allows(Permission::RetireeRead) {
                continue;
            }
            let list = app.request("GET", "/api/v1/retirees", Some(token), &[], None).await.expect(200);
            let item = list.body["items"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap();
            let search = app
                .request("POST", "/api/v1/retirees/search", Some(token), &[("Content-Type", "application/json")], Some(search_body.clone()))
                .await
                .expect(200);
            let found = search.body["items"][0].clone();
            assert_eq!(found["id"], id, "{role}: {}", search.text);
            let detail = app.request("GET", &format!("/api/v1/retirees/{id}"), Some(token), &[], None).await.expect(200).body;
            // Dependants are shown with the single-person view.
            let deps = app.request("GET", &format!("/api/v1/retirees/{id}/dependents"), Some(token), &[], None).await.expect(200).body;
            let dep_clear = role.visibility(SensitiveField::IdNumber).clear_in(true);
            let expected = if dep_clear { dependant_id.clone() } else { masked_id(&dependant_id) };
            assert_eq!(deps[0]["id_number"], expected.as_str(), "{role} dependants");
            for (view, shown, is_detail) in [("list", &item, false), ("search", &found, false), ("detail", &detail, true)] {
                let mut expected_masked = Vec::new();
                for f in SensitiveField::ALL {
                    let in_clear = role.visibility(f).clear_in(is_detail);
                    let expected = if in_clear { clear(f) } else { masked(f) };
                    assert_eq!(shown[f.as_str()], expected.as_str(), "{role} {view} {}", f.as_str());
                    if !in_clear {
                        expected_masked.push(json!(f.as_str()));
                    }
                }
                assert_eq!(shown["masked_fields"], Value::Array(expected_masked), "{role} {view}");
                // The birth date is the masked part of the ID: shown exactly where the ID is; the year always.
                let id_clear = role.visibility(SensitiveField::IdNumber).clear_in(is_detail);
                let birth = if id_clear { json!("1955-01-01") } else { Value::Null };
                assert_eq!(shown["birth_date"], birth, "{role} {view} birth_date");
                assert_eq!(shown["birth_year"], 1955, "{role} {view}");
            }
            checked += 1;
        }
        assert_eq!(checked, Role::ALL.iter().filter(|r| r.allows(Permission::RetireeRead)).count());
        assert!(checked > 0);
        // The detail reads were audited, one per role; no clear value landed in the audit log.
        assert_eq!(app.audit_count("retiree.read"), checked as i64);
        let auditor = accounts.iter().find(|(r, _)| *r == Role::Auditor).unwrap();
        let log = app.request("GET", "/api/v1/audit-log?limit=500", Some(&auditor.1), &[], None).await.expect(200);
        for f in SensitiveField::ALL {
            assert!(!log.text.contains(&clear(f)), "{} in clear in the audit log", f.as_str());
        }
    }

    async fn masked_ids_cannot_be_rebuilt_from_any_view(app: &TestApp) {
        // Issue 21.1: a masked ID hides the birth date (digits 7-14); a view that showed the date next to the six
        // leading and four trailing digits would give the whole ID back. Try, from every role's list, search,
        // detail and export, for people born on different days.
        let accounts = accounts_for_every_role(app);
        let mut people = Vec::new();
        for (seq, born) in [(101u16, "19550101"), (102, "19600229"), (103, "19481231"), (104, "19700615")] {
            let mut body = retiree_body("350203001001", seq);
            body["id_number"] = json!(id_number("350203", born, seq * 2 + 1));
            let created = app.create_retiree("siming", &body).await;
            people.push((created["id"].as_i64().unwrap(), body["id_number"].as_str().unwrap().to_owned()));
        }
        let mut tried = 0;
        for (role, token) in &accounts {
            if !role.allows(Permission::RetireeRead) {
                continue;
            }
            let mut views: Vec<(String, String, Value)> = Vec::new();
            let list = app.request("GET", "/api/v1/retirees?limit=500", Some(token), &[], None).await.expect(200);
            for (id, full) in &people {
                let item = list.body["items"].as_array().unwrap().iter().find(|r| r["id"] == *id).cloned().unwrap();
                views.push(("list".into(), full.clone(), item));
                let body = json!({"id_number": full}).to_string().into_bytes();
                let search = app
                    .request("POST", "/api/v1/retirees/search", Some(token), &[("Content-Type", "application/json")], Some(body))
                    .await
                    .expect(200);
                views.push(("search".into(), full.clone(), search.body["items"][0].clone()));
                let detail = app.request("GET", &format!("/api/v1/retirees/{id}"), Some(token), &[], None).await.expect(200);
                views.push(("detail".into(), full.clone(), detail.body));
            }
            if role.allows(Permission::RetireeExport) {
                let csv = app.request("GET", "/api/v1/exports/retirees", Some(token), &[], None).await.expect(200);
                let text = csv.text.trim_start_matches('\u{feff}');
                let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
                let header: Vec<&str> = lines.next().unwrap().split(',').collect();
                let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
                for line in lines {
                    let cells: Vec<&str> = line.split(',').collect();
                    let shown_id = cells[at("id_number")];
                    let Some((_, full)) = people.iter().find(|(_, f)| f[..6] == shown_id[..6] && f[14..] == shown_id[14..]) else {
                        continue;
                    };
                    let birth = cells[at("birth_date")];
                    views.push(("export".into(), full.clone(), json!({"id_number": shown_id, "birth_date": if birth.is_empty() { Value::Null } else { json!(birth) }})));
                }
            }
            for (view, full, shown) in views {
                let shown_id = shown["id_number"].as_str().unwrap();
                if shown_id == full {
                    // The role may see this ID in this view.
                    assert!(role.visibility(SensitiveField::IdNumber).clear_in(view == "detail"), "{role} {view}");
                    continue;
                }
                let candidates = rebuild(shown_id, &shown);
                assert!(candidates.contains(&full), "{role} {view}: the true ID must stay possible");
                assert!(candidates.len() > 1, "{role} {view}: the masked ID {shown_id} rebuilds to {full} alone from {shown}");
                tried += 1;
            }
        }
        assert!(tried > 0);
    }
}

/// Every valid resident ID agreeing with what a view shows of a person: the masked ID's leading six and trailing
/// four characters, and the birth date, the birth year and the age today where the view has them.
fn rebuild(masked: &str, shown: &Value) -> Vec<String> {
    let (head, tail) = (&masked[..6], &masked[14..]);
    let on = crate::helpers::today();
    let date = shown["birth_date"].as_str();
    let year = shown["birth_year"].as_i64();
    let age = shown["age"].as_i64();
    let mut out = Vec::new();
    let mut day = time::macros::date!(1900 - 01 - 01);
    while day <= on {
        let text = format!("{:04}{:02}{:02}", day.year(), u8::from(day.month()), day.day());
        let fits = date.is_none_or(|d| d == day.to_string())
            && year.is_none_or(|y| y == i64::from(day.year()))
            && age.is_none_or(|a| a == i64::from(domain::age_on(day, on)));
        if fits {
            let candidate = format!("{head}{text}{tail}");
            if domain::IdNumber::parse(&candidate, on).is_ok() {
                out.push(candidate);
            }
        }
        day = day.next_day().unwrap();
    }
    out
}
