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

    async fn a_preset_runs_within_its_documents_term_unless_extended(app: &TestApp) {
        // Issue 29.4, 19.11; CS Art. 36 "自2020年5月1日起施行，有效期5年", XM Art. 29 "自发布之日起施行，有效期5年",
        // JN Art. 39 "自印发之日起施行" (no end).
        let presets = app.get("/api/v1/policy-presets", "city").await.expect(200);
        let terms: Vec<(String, serde_json::Value)> = presets.body.as_array().unwrap().iter()
            .map(|p| (p["name"].as_str().unwrap().to_owned(), p["term"].clone())).collect();
        assert_eq!(terms[0].1, json!({"document": "厦府规〔2025〕2号", "in_force_from": "2025-02-26", "in_force_until": "2030-02-25", "source": "XM Art. 29"}));
        assert_eq!(terms[1].1, json!({"document": "长政办发〔2020〕10号", "in_force_from": "2020-05-01", "in_force_until": "2025-04-30", "source": "CS Art. 36"}));
        assert_eq!(terms[2].1, json!({"document": "晋政办通〔2020〕18号", "in_force_from": "2020-12-02", "in_force_until": null, "source": "JN Art. 39"}));

        // Without an end, a binding of the Changsha measures ends with their term; a later version still
        // supersedes it (the term is not a stated end).
        let v1 = add(app, "350206", json!({"valid_from": "2024-01-01", "preset": "changsha-2020"})).await.expect(201);
        assert_eq!(v1.body["valid_to"], "2025-04-30");
        assert_eq!(v1.body["extends_beyond_term"], false);
        assert_eq!(v1.body["term"]["in_force_until"], "2025-04-30");
        let last_day = app.get("/api/v1/jurisdictions/350206001001/policy?on=2025-04-30", "huli").await.expect(200);
        assert_eq!((last_day.body["source"]["version"].clone(), last_day.body["past_term"].clone()), (json!(1), json!(false)));
        app.get("/api/v1/jurisdictions/350206001001/policy?on=2025-05-01", "huli").await.problem(404, "no_policy_in_force");

        // Starting or ending after the term needs an explicit extension, with the document that extends it.
        let res = add(app, "350206", json!({"valid_from": "2025-05-01", "preset": "changsha-2020"})).await.problem(422, "beyond_preset_term");
        assert_eq!(res.first_field(), "/valid_from");
        assert!(res.body["errors"][0]["message"].as_str().unwrap().contains("2025-04-30"), "{}", res.body);
        let res = add(app, "350206", json!({"valid_from": "2025-05-01", "valid_to": "2026-12-31", "preset": "changsha-2020"})).await.problem(422, "beyond_preset_term");
        assert_eq!(res.first_field(), "/valid_from");
        let res = add(app, "350206", json!({"valid_from": "2025-05-01", "preset": "changsha-2020", "extend_beyond_term": true})).await.problem(422, "extension_needs_note");
        assert_eq!(res.first_field(), "/note");
        let mut full = presets.body[1]["parameters"].clone();
        full["advanced_age_years"]["source"] = json!("长人社〔2025〕1号");
        let res = add(app, "350206", json!({"valid_from": "2025-05-01", "parameters": full, "extend_beyond_term": true, "note": "x"})).await.problem(422, "extension_preset_only");
        assert_eq!(res.first_field(), "/extend_beyond_term");
        assert_eq!(app.count("policy_versions"), 1);
        assert_eq!(app.audit_count("policy.create"), 1);

        let v2 = add(app, "350206", json!({"valid_from": "2025-05-01", "preset": "changsha-2020", "extend_beyond_term": true,
            "note": "长政办函〔2025〕延期执行"})).await.expect(201);
        assert_eq!(v2.body["valid_to"], serde_json::Value::Null);
        assert_eq!(v2.body["extends_beyond_term"], true);
        // The policy endpoint says when the date falls after the document's term.
        let later = app.get("/api/v1/jurisdictions/350206001001/policy?on=2026-06-01", "huli").await.expect(200);
        assert_eq!(later.body["source"]["version"], 2);
        assert_eq!(later.body["past_term"], true);
        assert_eq!(later.body["source"]["term"]["source"], "CS Art. 36");
        let history = app.get("/api/v1/jurisdictions/350206/policies", "huli").await.expect(200);
        assert_eq!(history.body[0]["extends_beyond_term"], false);
        assert_eq!(history.body[1]["extends_beyond_term"], true);

        // A stated end within the term stands; one after it is refused at /valid_to; Jinning has no end at all.
        let res = add(app, "3502", json!({"valid_from": "2025-02-26", "valid_to": "2030-02-26", "preset": "xiamen-2025"})).await.problem(422, "beyond_preset_term");
        assert_eq!(res.first_field(), "/valid_to");
        let xm = add(app, "3502", json!({"valid_from": "2025-02-26", "valid_to": "2030-02-25", "preset": "xiamen-2025"})).await.expect(201);
        assert_eq!(xm.body["valid_to"], "2030-02-25");
        app.post("/api/v1/jurisdictions/3502/policies", "city", &json!({"valid_from": "2030-02-26", "preset": "xiamen-2025"})).await.problem(422, "beyond_preset_term");
        let jn = add(app, "350203", json!({"valid_from": "2026-01-01", "preset": "jinning-2020"})).await.expect(201);
        assert_eq!(jn.body["valid_to"], serde_json::Value::Null);
        assert_eq!(jn.body["extends_beyond_term"], false);
        let on = app.get("/api/v1/jurisdictions/350203001001/policy?on=2040-01-01", "siming").await.expect(200);
        assert_eq!(on.body["past_term"], false);
        // A version of full parameters has no term.
        assert_eq!(history.body[0]["term"]["document"], "长政办发〔2020〕10号");
        assert_eq!(app.count("policy_versions"), 4);
    }
}
