//! Effective-dated policies: resolution up the tree and over time, history, validation, roles and scope.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

async fn add(app: &TestApp, code: &str, body: serde_json::Value) -> Resp {
    app.post(&format!("/api/v1/jurisdictions/{code}/policies"), "city", &body).await
}

both_backends! {
    async fn community_resolves_to_the_city_preset_and_versions_change_on_their_date(app: &TestApp) {
        let v1 = add(app, "3502", json!({"valid_from": "2025-02-26", "preset": "xiamen-2025", "note": "厦府规〔2025〕2号"})).await.expect(201);
        assert_eq!(v1.body["version"], 1);
        assert_eq!(v1.body["parameters"]["service_fund"]["per_retiree_per_year"], json!({"value": "400.00", "source": "XM Art. 21"}));
        let resolved = app.get("/api/v1/jurisdictions/350203001001/policy?on=2025-06-01", "hongshan").await.expect(200);
        assert_eq!(resolved.body["jurisdiction"], "350203001001");
        assert_eq!(resolved.body["source"]["jurisdiction"], "3502");
        assert_eq!(resolved.body["source"]["version"], 1);
        assert_eq!(resolved.body["source"]["preset"], "xiamen-2025");
        assert_eq!(resolved.body["source"]["parameters"], v1.body["parameters"]);

        // A new city version from 2026-01-01 raises the fund to 450 yuan.
        let mut raised = v1.body["parameters"].clone();
        raised["service_fund"]["per_retiree_per_year"] = json!({"value": "450.00", "source": "厦人社〔2025〕99号"});
        add(app, "3502", json!({"valid_from": "2026-01-01", "parameters": raised})).await.expect(201);
        let before = app.get("/api/v1/jurisdictions/350203001001/policy?on=2025-12-31", "hongshan").await.expect(200);
        assert_eq!(before.body["source"]["version"], 1);
        assert_eq!(before.body["source"]["valid_to"], "2025-12-31");
        assert_eq!(before.body["source"]["parameters"]["service_fund"]["per_retiree_per_year"]["value"], "400.00");
        let after = app.get("/api/v1/jurisdictions/350203001001/policy?on=2026-01-01", "hongshan").await.expect(200);
        assert_eq!(after.body["source"]["version"], 2);
        assert_eq!(after.body["source"]["valid_to"], serde_json::Value::Null);
        assert_eq!(after.body["source"]["parameters"]["service_fund"]["per_retiree_per_year"]["value"], "450.00");
        // Nothing was in force before the first version.
        app.get("/api/v1/jurisdictions/350203001001/policy?on=2025-02-25", "hongshan").await.problem(404, "no_policy_in_force");
        // The history keeps both, the first closed the day before the second starts.
        let history = app.get("/api/v1/jurisdictions/3502/policies", "city").await.expect(200);
        // The city node itself is outside a community worker's subtree.
        app.get("/api/v1/jurisdictions/3502/policies", "hongshan").await.problem(404, "not_found");
        let items = history.body.as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["valid_from"], "2025-02-26");
        assert_eq!(items[0]["valid_to"], "2025-12-31");
        assert_eq!(items[1]["valid_from"], "2026-01-01");
        assert_eq!(app.count("policy_versions"), 2);
        assert_eq!(app.audit_count("policy.create"), 2);
    }

    async fn a_district_override_wins_for_its_subtree_only(app: &TestApp) {
        add(app, "3502", json!({"valid_from": "2025-02-26", "preset": "xiamen-2025"})).await.expect(201);
        let mut local = app.get("/api/v1/policy-presets", "city").await.expect(200).body[0]["parameters"].clone();
        local["advanced_age_years"] = json!({"value": 75, "source": "湖里区补充规定"});
        add(app, "350206", json!({"valid_from": "2025-03-01", "parameters": local})).await.expect(201);
        let huli = app.get("/api/v1/jurisdictions/350206001001/policy?on=2025-06-01", "huli").await.expect(200);
        assert_eq!(huli.body["source"]["jurisdiction"], "350206");
        assert_eq!(huli.body["source"]["parameters"]["advanced_age_years"]["value"], 75);
        let siming = app.get("/api/v1/jurisdictions/350203001001/policy?on=2025-06-01", "siming").await.expect(200);
        assert_eq!(siming.body["source"]["jurisdiction"], "3502");
        assert_eq!(siming.body["source"]["parameters"]["advanced_age_years"]["value"], 70);
        // Before the override starts, the city's applies in 湖里 too.
        let early = app.get("/api/v1/jurisdictions/350206001001/policy?on=2025-02-28", "huli").await.expect(200);
        assert_eq!(early.body["source"]["jurisdiction"], "3502");
        // The advanced-age threshold follows the policy in force: a 71-year-old is advanced age in 思明 (70),
        // not in 湖里 (75).
        let mut in_huli = retiree_body("350206001001", 70);
        in_huli["id_number"] = json!(id_number("350206", "19550101", 141));
        let huli_person = app.create_retiree("huli", &in_huli).await;
        assert_eq!(huli_person["age"], 71);
        assert_eq!(huli_person["current_special_groups"], json!([]));
        let siming_person = app.create_retiree("hongshan", &retiree_body("350203001001", 71)).await;
        assert_eq!(siming_person["current_special_groups"], json!(["advanced_age"]));
        let listed = app.get("/api/v1/retirees?special_group=advanced_age", "city").await.expect(200);
        let ids: Vec<&serde_json::Value> = listed.body["items"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
        assert!(ids.contains(&&siming_person["id"]));
        let in_huli_list = app.get("/api/v1/retirees?special_group=advanced_age&jurisdiction=350206", "city").await.expect(200);
        assert_eq!(in_huli_list.body["items"], json!([]));
        let huli_detail = app.get(&format!("/api/v1/retirees/{}", huli_person["id"]), "city").await.expect(200);
        assert_eq!(huli_detail.body["current_special_groups"], json!([]));
    }

    async fn bad_policies_are_422_naming_the_parameter(app: &TestApp) {
        let preset = app.get("/api/v1/policy-presets", "city").await.expect(200).body[0]["parameters"].clone();
        let mut bad = preset.clone();
        bad["service_fund"]["splits"][0]["district_share"] = json!({"value": "0.6", "source": "x"});
        let res = add(app, "3502", json!({"valid_from": "2025-01-01", "parameters": bad})).await.problem(422, "ratio_sum");
        assert_eq!(res.first_field(), "/parameters/service_fund/splits/0/district_share/value");
        let mut negative = preset.clone();
        negative["group_leaders"]["monthly_allowance"] = json!({"value": "-150", "source": "x"});
        let res = add(app, "3502", json!({"valid_from": "2025-01-01", "parameters": negative})).await.problem(422, "invalid_value");
        assert_eq!(res.first_field(), "/parameters/group_leaders/monthly_allowance/value");
        let mut precise = preset.clone();
        precise["group_leaders"]["excellent_award"] = json!({"value": "400.005", "source": "x"});
        add(app, "3502", json!({"valid_from": "2025-01-01", "parameters": precise})).await.problem(422, "invalid_value");
        add(app, "3502", json!({"valid_from": "2025-01-01", "preset": "beijing-2030"})).await.problem(422, "unknown_preset");
        add(app, "3502", json!({"valid_from": "2025-01-01", "preset": "xiamen-2025", "parameters": preset})).await.problem(422, "preset_or_parameters");
        add(app, "3502", json!({"valid_from": "2025-02-30", "preset": "xiamen-2025"})).await.problem(422, "invalid_date");
        add(app, "3502", json!({"valid_from": "2025-03-01", "valid_to": "2025-02-01", "preset": "xiamen-2025"})).await.problem(422, "date_order");
        assert_eq!(app.count("policy_versions"), 0);
        // Versions only move forward, and never overlap a stated end.
        add(app, "3502", json!({"valid_from": "2025-02-26", "valid_to": "2025-12-31", "preset": "xiamen-2025"})).await.expect(201);
        add(app, "3502", json!({"valid_from": "2025-01-01", "preset": "xiamen-2025"})).await.problem(422, "policy_not_after_latest");
        add(app, "3502", json!({"valid_from": "2025-06-01", "preset": "xiamen-2025"})).await.problem(422, "policy_overlap");
        add(app, "3502", json!({"valid_from": "2026-01-01", "preset": "xiamen-2025"})).await.expect(201);
        assert_eq!(app.count("policy_versions"), 2);
        app.get("/api/v1/jurisdictions/3502/policy?on=someday", "city").await.problem(422, "invalid_date");
    }

    async fn policy_roles_and_scope(app: &TestApp) {
        let body = json!({"valid_from": "2025-02-26", "preset": "xiamen-2025"});
        app.post("/api/v1/jurisdictions/350203/policies", "siming", &body).await.problem(403, "forbidden");
        app.post("/api/v1/jurisdictions/3502/policies", "admin", &body).await.problem(403, "forbidden");
        add(app, "3502", body).await.expect(201);
        // Everybody in scope reads; outside the subtree is 404.
        app.get("/api/v1/jurisdictions/350203001001/policy?on=2025-03-01", "leader").await.expect(200);
        app.get("/api/v1/jurisdictions/350206001001/policy?on=2025-03-01", "hongshan").await.problem(404, "not_found");
        app.get("/api/v1/jurisdictions/350206/policies", "siming").await.problem(404, "not_found");
        let presets = app.get("/api/v1/policy-presets", "hongshan").await.expect(200);
        let names: Vec<&str> = presets.body.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["xiamen-2025", "changsha-2020", "jinning-2020"]);
    }
}
