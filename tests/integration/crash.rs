//! The real binary killed with SIGKILL in the middle of an atomic retiree import (SQLite, the embedded
//! default): after a restart nothing of the file is visible and the job says it failed.

use std::time::Duration;

use serde_json::json;

use crate::helpers::id_number;
use crate::process::{call, login, start};

#[actix_web::test]
async fn killed_during_an_atomic_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db").display().to_string();
    let mut csv = String::from("name,id_number,retirement_date,category,management_level,community_code\r\n");
    for n in 0..150_000u32 {
        let day = time::Date::from_calendar_date(1940, time::Month::January, 1).unwrap()
            + time::Duration::days(i64::from(n / 400));
        let birth = format!("{}{:02}{:02}", day.year(), day.month() as u8, day.day());
        // Even sequence numbers from 200 up: the demo seed's people cannot collide with these.
        let id = id_number("350203", &birth, (200 + n % 400 * 2) as u16);
        csv.push_str(&format!("甲{n},{id},2010-01-01,enterprise_employee,city_managed,350203001001\r\n"));
    }
    let url_db = format!("sqlite://{db}");
    let mut service = start(&url_db, None).await;
    let token = login(&service.base, "importer").await;
    let (status, job) =
        call(&service.base, "POST", "/api/v1/imports/retirees", Some(&token), "text/csv", csv.into_bytes())
            .await
            .unwrap();
    assert_eq!(status, 202, "{job}");
    let path = format!("/api/v1/imports/{}", job["id"]);
    // Kill it while it is reading (before the merge transaction could commit).
    let mut killed = false;
    for _ in 0..2000 {
        let (_, j) = call(&service.base, "GET", &path, Some(&token), "", vec![]).await.unwrap();
        assert_eq!(j["status"].as_str().map(|s| s == "queued" || s == "running"), Some(true), "ended too soon: {j}");
        if j["status"] == "running" && j["rows_read"].as_i64().unwrap_or(0) > 1000 {
            service.child.kill().unwrap();
            service.child.wait().unwrap();
            killed = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(killed);
    drop(service);
    let service = start(&url_db, None).await;
    let token = login(&service.base, "importer").await;
    let (status, j) = call(&service.base, "GET", &path, Some(&token), "", vec![]).await.unwrap();
    assert_eq!(status, 200);
    let mut conn = persistence::connection::establish(&persistence::DatabaseUrl::parse(&url_db).unwrap()).unwrap();
    let retirees = persistence::retirees::count(&mut conn).unwrap();
    crate::hardening::report(
        "faults: SIGKILL during an atomic import of 150,000 rows, restart",
        Some(crate::helpers::Backend::Sqlite),
        &format!("job {} ({}), {} of the file's rows visible", j["status"], j["error"]["code"], retirees - 300),
        "job failed/interrupted, 0 rows visible",
        j["status"] == "failed" && j["error"]["code"] == "interrupted" && retirees == 300,
    );
    assert_eq!(
        (j["status"].as_str(), j["error"]["code"].as_str(), &j["created"]),
        (Some("failed"), Some("interrupted"), &json!(0)),
        "{j}"
    );
    // Nothing of the file: the retirees are the demo's 300, no person of the file can be found.
    assert_eq!(retirees, 300);
}
