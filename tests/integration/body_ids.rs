//! Ids of other records in a request body (issue 19.4; `docs/api-conventions.md`, "Ids in the path and ids in the
//! body"): an id that does not exist and an id in another district's subtree both answer 422 with the code
//! `<kind>_not_found` on the body pointer, with the same status, code, title, detail and errors, and write nothing.
//! Every operation that takes such an id is here, on both backends. The caller is 思明区 (`siming`); the other
//! district is 湖里区 (`huli`).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// An id no record has.
const ABSENT: i64 = 999_999;

/// A retiree registered by `login` in `community`.
async fn person(app: &TestApp, login: &str, community: &str, seq: u16) -> i64 {
    app.create_retiree(login, &retiree_body(community, seq)).await["id"].as_i64().unwrap()
}

/// A retiree of 湖里社区 (another district than the caller's).
async fn in_huli(app: &TestApp, seq: u16) -> i64 {
    person(app, "huli", "350206001001", seq).await
}

/// What a refusal writes, counted before and after: rows of `tables` and audit entries with `action`.
fn written(app: &TestApp, tables: &[&str], action: &str) -> (Vec<i64>, i64) {
    (tables.iter().map(|t| app.count(t)).collect(), app.audit_count(action))
}

/// Posts `body(ABSENT)` and `body(other)` to `path` as `siming`; both must be 422 `code` on `field`, answer alike,
/// and leave `tables` and the audit entries of `action` as they were.
async fn refused_alike(
    app: &TestApp,
    path: &str,
    body: impl Fn(i64) -> Value,
    other: i64,
    (code, field): (&str, &str),
    (tables, action): (&[&str], &str),
) {
    let before = written(app, tables, action);
    let absent = app.post(path, "siming", &body(ABSENT)).await.problem(422, code);
    assert_eq!(absent.first_field(), field, "{}", absent.text);
    assert_eq!(absent.body["errors"][0]["code"], code, "{}", absent.text);
    assert_eq!(absent.body["errors"].as_array().map(Vec::len), Some(1), "{}", absent.text);
    let hidden = app.post(path, "siming", &body(other)).await.problem(422, code);
    assert_eq!(hidden.first_field(), field, "{}", hidden.text);
    // Indistinguishable: everything but the request id is the same.
    for key in ["type", "title", "status", "detail", "code", "instance", "errors"] {
        assert_eq!(absent.body[key], hidden.body[key], "{key}: {} vs {}", absent.text, hidden.text);
    }
    // Also in English.
    let (en_absent, en_hidden) = (post_en(app, path, &body(ABSENT)).await, post_en(app, path, &body(other)).await);
    assert_eq!((&en_absent["detail"], &en_absent["errors"]), (&en_hidden["detail"], &en_hidden["errors"]));
    assert_eq!(written(app, tables, action), before, "{path}: nothing is written");
}

/// POST as `siming` with `Accept-Language: en`; the problem body.
async fn post_en(app: &TestApp, path: &str, body: &Value) -> Value {
    let res = app.post_with(path, "siming", body, &[("accept-language", "en")]).await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text);
    res.body
}

both_backends! {
    async fn issue_19_4_death_report_names_retiree_id(app: &TestApp) {
        // CS Art. 16(4): a death is reported for a person on the caller's roll.
        let other = in_huli(app, 1).await;
        let body = |id: i64| json!({"retiree_id": id, "date_of_death": TODAY, "certificate_number": "DC-1",
            "reporter_kind": "relative", "reporter_name": "张小明", "reported_on": TODAY});
        refused_alike(app, "/api/v1/death-reports", body, other, ("retiree_not_found", "/retiree_id"),
            (&["death_reports", "pension_status_changes"], "death.report")).await;
        // The same body with a person of the caller's subtree is accepted: only the id was wrong.
        let own = person(app, "siming", "350203001001", 2).await;
        app.post("/api/v1/death-reports", "siming", &body(own)).await.expect(201);
    }

    async fn issue_19_4_transfer_out_of_the_city_names_retiree_id(app: &TestApp) {
        // JN Art. 22: a move out of the city is registered by the sending side, for its own person; was 404.
        let other = in_huli(app, 3).await;
        let body = |id: i64| json!({"retiree_id": id, "destination": "福州市鼓楼区", "documents": []});
        refused_alike(app, "/api/v1/transfers", body, other, ("retiree_not_found", "/retiree_id"),
            (&["transfers", "transfer_steps"], "transfer.apply")).await;
        let own = person(app, "siming", "350203001001", 4).await;
        app.post("/api/v1/transfers", "siming", &body(own)).await.expect(201);
    }

    async fn issue_19_4_reduction_names_retiree_id(app: &TestApp) {
        let other = in_huli(app, 5).await;
        let body = |id: i64| json!({"retiree_id": id, "kind": "other", "reason": "转由军休机构管理", "effective_month": &TODAY[..7]});
        refused_alike(app, "/api/v1/reductions", body, other, ("retiree_not_found", "/retiree_id"),
            (&["reductions", "roster_movements"], "reduction.create")).await;
        let own = person(app, "siming", "350203001001", 6).await;
        app.post("/api/v1/reductions", "siming", &body(own)).await.expect(201);
    }

    async fn issue_19_4_condolence_names_retiree_id(app: &TestApp) {
        // XM Art. 21(2)-(3): condolences go to people on the caller's roll.
        let other = in_huli(app, 7).await;
        let body = |id: i64| json!({"retiree_id": id, "kind": "hospital", "on_date": "2026-05-12", "paid": false});
        refused_alike(app, "/api/v1/condolences", body, other, ("retiree_not_found", "/retiree_id"),
            (&["condolences"], "condolence.create")).await;
    }

    async fn issue_19_4_visit_names_retiree_id(app: &TestApp) {
        // GUIDE 走访制度: visits to people on the caller's roll.
        let other = in_huli(app, 8).await;
        let body = |id: i64| json!({"retiree_id": id, "on_date": TODAY, "worker": "王丽", "findings": "独居"});
        refused_alike(app, "/api/v1/visits", body, other, ("retiree_not_found", "/retiree_id"),
            (&["visits", "visit_tasks"], "visit.create")).await;
        let own = person(app, "siming", "350203001001", 9).await;
        app.post("/api/v1/visits", "siming", &body(own)).await.expect(201);
    }

    async fn issue_19_4_group_member_and_leader_name_retiree_id(app: &TestApp) {
        // XM Art. 12: a group of 鸿山社区 (in the caller's subtree); the person named is in another district.
        let other = in_huli(app, 10).await;
        let group = json!({"community_code": "350203001001", "name": "大学路第一小组", "basis": "building", "area": "大学路1-9号楼"});
        let gid = app.post("/api/v1/groups", "siming", &group).await.expect(201).body["id"].as_i64().unwrap();
        let members = format!("/api/v1/groups/{gid}/members");
        refused_alike(app, &members, |id| json!({"retiree_id": id}), other, ("retiree_not_found", "/retiree_id"),
            (&["group_members"], "group.member_add")).await;
        let leaders = format!("/api/v1/groups/{gid}/leaders");
        let elect = |id: i64| json!({"name": "李桂兰", "retiree_id": id, "elected_on": TODAY});
        refused_alike(app, &leaders, elect, other, ("retiree_not_found", "/retiree_id"),
            (&["group_leaders"], "group.leader_elect")).await;
        // A person the caller sees keeps the rules about the group: another community is `not_in_community`, a
        // non-member elected `not_a_member`; a member of the community is added and elected.
        let neighbour = person(app, "siming", "350203001004", 11).await;
        app.post(&members, "siming", &json!({"retiree_id": neighbour})).await.problem(422, "not_in_community");
        app.post(&leaders, "siming", &elect(neighbour)).await.problem(422, "not_a_member");
        let own = person(app, "siming", "350203001001", 12).await;
        app.post(&members, "siming", &json!({"retiree_id": own})).await.expect(200);
        app.post(&leaders, "siming", &elect(own)).await.expect(201);
    }

    async fn issue_19_4_dependent_support_names_dependent_id(app: &TestApp) {
        // GUIDE 五: support is applied for a dependant of a retiree on the caller's roll.
        let retiree = in_huli(app, 13).await;
        let dep = json!({"relation": "spouse", "id_number": id_number("350206", "19600404", 28), "name": "李四", "supported": true});
        let other = app.post(&format!("/api/v1/retirees/{retiree}/dependents"), "huli", &dep).await.expect(201).body["id"]
            .as_i64()
            .unwrap();
        let body = |id: i64| json!({"dependent_id": id, "applied_on": "2026-03-30"});
        refused_alike(app, "/api/v1/dependent-support", body, other, ("dependent_not_found", "/dependent_id"),
            (&["dependent_support", "dependent_support_steps"], "dependent_support.apply")).await;
    }

    async fn issue_19_4_leader_award_names_leader_id(app: &TestApp) {
        // XM Art. 24: the award goes to a leader in office in the district named; one of 湖里区 is not found.
        let group = json!({"community_code": "350206001001", "name": "湖里第一小组", "basis": "area", "area": "湖里"});
        let gid = app.post("/api/v1/groups", "huli", &group).await.expect(201).body["id"].as_i64().unwrap();
        let other = app.post(&format!("/api/v1/groups/{gid}/leaders"), "huli", &json!({"name": "陈建国", "elected_on": "2026-01-10"}))
            .await
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let body = |id: i64| json!({"jurisdiction": "350203", "leader_id": id, "on_date": "2026-12-01"});
        refused_alike(app, "/api/v1/funding/leader-awards", body, other, ("leader_not_found", "/leader_id"),
            (&["fund_expenditures"], "expenditure.create")).await;
    }
}
