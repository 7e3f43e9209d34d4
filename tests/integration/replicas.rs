//! Issue 28: background work is safe with several replicas, shown with two real service processes on one
//! PostgreSQL database: an import running in one is not reaped by the other (its owner lock is held) and is reaped
//! once its process is gone; the same month closed through both at once is closed once.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, id_number};
use crate::process::{call, call_json, drop_database, fresh_database, login, start};

fn big_roster(rows: u32) -> Vec<u8> {
    let mut csv = String::from("name,id_number,retirement_date,category,management_level,community_code\r\n");
    for n in 0..rows {
        let day = time::Date::from_calendar_date(1940, time::Month::January, 1).unwrap()
            + time::Duration::days(i64::from(n / 400));
        let birth = format!("{}{:02}{:02}", day.year(), day.month() as u8, day.day());
        // Even sequence numbers from 200 up: the demo seed's people cannot collide with these.
        let id = id_number("350203", &birth, (200 + n % 400 * 2) as u16);
        csv.push_str(&format!("乙{n},{id},2010-01-01,enterprise_employee,city_managed,350203001001\r\n"));
    }
    csv.into_bytes()
}

#[actix_web::test]
async fn an_import_running_in_one_replica_is_reaped_by_the_other_only_once_its_process_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = fresh_database(Backend::Postgres, dir.path()).await else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    let mut one = start(&url, None).await;
    let two = start(&url, None).await;
    let token = login(&one.base, "importer").await;
    let (status, job) =
        call(&one.base, "POST", "/api/v1/imports/retirees", Some(&token), "text/csv", big_roster(150_000))
            .await
            .unwrap();
    assert_eq!(status, 202, "{job}");
    let path = format!("/api/v1/imports/{}", job["id"]);
    // While replica one reads the file, replica two (which does not run it) answers for it without reaping it.
    let mut seen_running = 0;
    for _ in 0..2000 {
        let (status, j) = call(&two.base, "GET", &path, Some(&token), "", vec![]).await.unwrap();
        assert_eq!(status, 200, "{j}");
        assert!(j["status"] == "queued" || j["status"] == "running", "replica two ended a live job: {j}");
        if j["status"] == "running" && j["rows_read"].as_i64().unwrap_or(0) > 1000 {
            seen_running += 1;
            if seen_running == 3 {
                break;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen_running, 3, "the import never ran long enough to be watched");
    // Replica one dies mid-import: its owner lock goes with its session; replica two reaps the job on the next read.
    one.child.kill().unwrap();
    one.child.wait().unwrap();
    let mut reaped = None;
    for _ in 0..200 {
        let (status, j) = call(&two.base, "GET", &path, Some(&token), "", vec![]).await.unwrap();
        assert_eq!(status, 200, "{j}");
        if j["status"] == "failed" {
            reaped = Some(j);
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let j = reaped.expect("replica two never reaped the job of the dead replica");
    assert_eq!((j["error"]["code"].as_str(), &j["created"]), (Some("interrupted"), &json!(0)), "{j}");
    // Nothing of the file was written.
    let (_, list) = call(
        &two.base,
        "GET",
        "/api/v1/retirees?name_prefix=%E4%B9%99&limit=5",
        Some(&login(&two.base, "city").await),
        "",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(list["items"], json!([]), "{list}");
    drop(one);
    drop(two);
    drop_database(pg).await;
}

#[actix_web::test]
async fn the_same_month_closed_through_two_replicas_at_once_is_closed_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = fresh_database(Backend::Postgres, dir.path()).await else {
        eprintln!("TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    };
    let one = start(&url, None).await;
    let two = start(&url, None).await;
    let token = login(&one.base, "hongshan").await;
    // The month before this one (the processes run on the system clock): over, so it may be closed.
    let today = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap()).date();
    let last = today.replace_day(1).unwrap() - time::Duration::days(1);
    let month = format!("{}-{:02}", last.year(), last.month() as u8);
    let body = json!({"jurisdiction": "350203001001", "month": month});
    for round in 0..5 {
        let (a, b) = futures_util::future::join(
            call_json(&one.base, "POST", "/api/v1/reports/monthly/closes", Some(&token), &body),
            call_json(&two.base, "POST", "/api/v1/reports/monthly/closes", Some(&token), &body),
        )
        .await;
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: {a:?} {b:?}");
        let refused = if a.0 == 409 { &a.1 } else { &b.1 };
        assert_eq!(refused["code"], "month_closed", "{refused}");
        // Reopened by the admin for the next round.
        let admin = login(&two.base, "admin").await;
        let (status, v) = call_json(
            &two.base,
            "POST",
            &format!("/api/v1/reports/monthly/closes/350203001001/{month}/reopen"),
            Some(&admin),
            &json!({"reason": "复核（测试）"}),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{v}");
    }
    drop(one);
    drop(two);
    drop_database(pg).await;
}
