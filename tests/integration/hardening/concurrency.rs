//! Part 5: concurrency. 50 writers × 200 writes (fewer with `RELIABILITY_WRITES`), 20 concurrent POSTs under
//! one Idempotency-Key, two updates with the same If-Match.

use std::time::Instant;

use futures_util::future::join_all;
use serde_json::json;

use super::report;
use crate::both_backends;
use crate::helpers::*;

const WRITERS: usize = 50;

fn writes_per_writer() -> usize {
    std::env::var("RELIABILITY_WRITES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

both_backends! {
    async fn fifty_writers(app: &TestApp) {
        let per = writes_per_writer();
        let mut ids = Vec::new();
        for n in 0..WRITERS {
            let community = if n % 2 == 0 { "350203001001" } else { "350206001001" };
            ids.push(app.create_retiree("city", &retiree_body(community, 100 + n as u16)).await["id"].as_i64().unwrap());
        }
        let updates_before = app.audit_count("retiree.update");
        let started = Instant::now();
        let mut writers = Vec::new();
        for (n, id) in ids.iter().copied().enumerate() {
            writers.push(async move {
                let mut etag = "\"1\"".to_owned();
                let (mut ok, mut failures) = (0usize, Vec::new());
                for w in 0..per {
                    let phone = format!("139{:04}{:04}", n, w);
                    let res = app.patch(&format!("/api/v1/retirees/{id}"), "city", &json!({"phone": phone}), Some(&etag)).await;
                    if res.status.as_u16() == 200 {
                        ok += 1;
                        etag = res.header("etag").unwrap().to_owned();
                    } else {
                        failures.push(format!("{} {}", res.status, res.text));
                        let now = app.get(&format!("/api/v1/retirees/{id}"), "city").await;
                        etag = now.header("etag").unwrap_or("\"1\"").to_owned();
                    }
                }
                (ok, failures)
            });
        }
        let mut ok = 0;
        let mut failures = Vec::new();
        for (o, f) in join_all(writers).await {
            ok += o;
            failures.extend(f);
        }
        let seconds = started.elapsed().as_secs_f64();
        let total = WRITERS * per;
        let locked = failures.iter().filter(|f| f.contains("locked")).count();
        let server_errors = failures.iter().filter(|f| f.starts_with('5')).count();
        // Every acknowledged write is there: each retiree's version counts its writes, each write is audited.
        let mut versions = 0i64;
        for id in &ids {
            versions += app.get(&format!("/api/v1/retirees/{id}"), "city").await.expect(200).body["version"].as_i64().unwrap() - 1;
        }
        let audited = app.audit_count("retiree.update") - updates_before;
        let pass = ok == total && failures.is_empty() && versions == total as i64 && audited == total as i64;
        report("concurrency: 50 writers", Some(app.backend),
            &format!("{ok}/{total} writes in {seconds:.1} s ({:.0}/s), {server_errors} 5xx, {locked} locked, {versions} versions, {audited} audited",
                total as f64 / seconds), "all 200, 0 5xx, 0 locked", pass);
        assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), failures.iter().take(5).collect::<Vec<_>>());
        assert_eq!((ok, versions, audited), (total, total as i64, total as i64));
    }

    async fn one_idempotency_key_twenty_posts(app: &TestApp) {
        let mut answers = Vec::new();
        let body = retiree_body("350203001001", 400);
        for _ in 0..20 {
            let body = body.clone();
            answers.push(async move {
                app.post_with("/api/v1/retirees", "city", &body, &[("Idempotency-Key", "same-key-20")]).await
            });
        }
        let mut statuses = std::collections::BTreeMap::new();
        let mut ids = std::collections::BTreeSet::new();
        for res in join_all(answers).await {
            *statuses.entry(res.status.as_u16()).or_insert(0) += 1;
            if res.status.as_u16() == 201 {
                ids.insert(res.body["id"].as_i64().unwrap());
            }
        }
        let rows = {
            use diesel::prelude::*;
            use persistence::schema::retirees::dsl;
            dsl::retirees.filter(dsl::id_number_hash.eq(persistence::sealed::hash(body["id_number"].as_str().unwrap()).unwrap())).count().get_result::<i64>(&mut *app.conn()).unwrap()
        };
        let no_5xx = statuses.keys().all(|s| *s < 500);
        // Every answer is the first one (later requests wait for it and replay it), not a conflict.
        let pass = rows == 1 && ids.len() == 1 && no_5xx && statuses.get(&201) == Some(&20);
        report("concurrency: 20 POSTs, one Idempotency-Key", Some(app.backend),
            &format!("{rows} resource, answers {statuses:?}, {} distinct ids", ids.len()), "exactly one resource, 20 × the same 201", pass);
        assert!(pass, "rows {rows}, answers {statuses:?}, ids {ids:?}");
    }

    async fn same_if_match_twice(app: &TestApp) {
        let mut outcomes = std::collections::BTreeMap::new();
        for n in 0..20u16 {
            let id = app.create_retiree("city", &retiree_body("350203001001", 500 + n)).await["id"].as_i64().unwrap();
            let mut both = Vec::new();
            for phone in ["13900000001", "13900000002"] {
                both.push(async move {
                    app.patch(&format!("/api/v1/retirees/{id}"), "city", &json!({"phone": phone}), Some("\"1\"")).await.status.as_u16()
                });
            }
            let mut pair = join_all(both).await;
            pair.sort();
            *outcomes.entry(pair).or_insert(0) += 1;
            let now = app.get(&format!("/api/v1/retirees/{id}"), "city").await.expect(200);
            assert_eq!(now.body["version"], 2, "exactly one update applied");
        }
        let pass = outcomes.len() == 1 && outcomes.contains_key(&vec![200, 412]);
        report("concurrency: two updates, one If-Match (20 pairs)", Some(app.backend), &format!("{outcomes:?}"), "[200, 412] every time", pass);
        assert!(pass, "{outcomes:?}");
    }
}
