//! Upload bytes that used to be read wrong (issue 21): multi-member gzip files were silently cut after their
//! first member, and a NUL byte in a CSV header failed the job on PostgreSQL while SQLite refused the column.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const HEADER: &str = "name,id_number,retirement_date,category,management_level,community_code";

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// Posts a roster CSV and waits for the job to end.
async fn import(app: &TestApp, body: Vec<u8>) -> Value {
    let token = app.token("city");
    let res = app
        .request(
            "POST",
            "/api/v1/imports/retirees?mode=partial",
            Some(&token),
            &[("Content-Type", "text/csv")],
            Some(body),
        )
        .await
        .expect(202);
    let location = res.header("location").unwrap().to_owned();
    for _ in 0..2400 {
        let job = app.request("GET", &location, Some(&token), &[], None).await.expect(200).body;
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return job;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job at {location} did not end");
}

both_backends! {
    // issue 21.5: `cat header.gz rows.gz` imports every row of every member.
    async fn a_multi_member_gzip_upload_is_read_whole(app: &TestApp) {
        let rows: Vec<String> = (0..3u16)
            .map(|n| {
                format!(
                    "周{n},{},2015-01-01,enterprise_employee,city_managed,350203001001\n",
                    id_number("350203", "19550101", n * 2 + 1)
                )
            })
            .collect();
        let mut body = gzip(&format!("{HEADER}\n"));
        for r in &rows {
            body.extend(gzip(r));
        }
        let job = import(app, body).await;
        assert_eq!(
            (job["status"].as_str(), job["rows_read"].as_i64(), job["created"].as_i64(), job["rejected"].as_i64()),
            (Some("succeeded"), Some(3), Some(3), Some(0)),
            "{job}"
        );
    }

    // issue 21.7: a NUL byte in a header cell is an unknown column on both backends, never an internal error;
    // the message shows it escaped.
    async fn a_nul_byte_in_the_header_is_an_unknown_column(app: &TestApp) {
        let body = format!("{}\0,{HEADER}\n张三,{},2015-01-01,enterprise_employee,city_managed,350203001001\n", "notes", id_number("350203", "19550101", 1))
            .replacen("notes\0,", "no\0tes,", 1);
        let job = import(app, body.into_bytes()).await;
        assert_eq!((job["status"].as_str(), job["error"]["code"].as_str()), (Some("rejected"), Some("unknown_column")), "{job}");
        let errors = app.get(&format!("/api/v1/imports/{}/errors", job["id"]), "city").await.expect(200);
        assert_eq!(errors.body["items"][0]["code"], json!("unknown_column"));
        let message = errors.body["items"][0]["message"].as_str().unwrap();
        assert!(message.contains("no\\u{0}tes"), "{message}");
    }
}
