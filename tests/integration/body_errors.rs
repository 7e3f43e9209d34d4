//! Issue 22 "Errors": a JSON body missing several required fields names all of them at once, in Chinese by
//! default and in clean English with `Accept-Language: en` (q-values honoured); a Chinese label sent where a code
//! is wanted is answered with the code to send.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// `(field, code)` of each entry of `errors`.
fn fields(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

fn messages(body: &Value) -> Vec<String> {
    body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_owned()).collect()
}

both_backends! {
    async fn every_missing_field_is_named_in_chinese_and_english(app: &TestApp) {
        let before = app.count("retirees");
        let body = json!({"name": "张三", "community_code": "350203001001"});
        let required = |f: &str| (f.to_owned(), "required".to_owned());
        let expected = vec![
            required("/id_number"),
            required("/retirement_date"),
            required("/category"),
            required("/management_level"),
        ];
        let zh = app.post("/api/v1/retirees", "city", &body).await.problem(422, "validation_failed");
        assert_eq!(fields(&zh.body), expected, "{}", zh.text);
        assert_eq!(messages(&zh.body)[0], "缺少必填字段 id_number");
        assert_eq!(zh.body["detail"], "4处数据未通过校验，详见errors");

        let en = app.post_with("/api/v1/retirees", "city", &body, &[("Accept-Language", "en")]).await;
        let en = en.problem(422, "validation_failed");
        assert_eq!(fields(&en.body), expected);
        assert_eq!(
            messages(&en.body),
            ["id_number is required", "retirement_date is required", "category is required", "management_level is required"]
        );
        assert!(!en.text.contains('`'), "raw serde text: {}", en.text);
        // No row was written.
        assert_eq!(app.count("retirees"), before);
    }

    async fn q_values_choose_the_language(app: &TestApp) {
        let body = json!({"name": "张三"});
        let ask = |lang: &'static str| {
            let body = body.clone();
            async move { app.post_with("/api/v1/retirees", "city", &body, &[("Accept-Language", lang)]).await }
        };
        let en = ask("zh-CN;q=0.5, en-US;q=0.9").await.problem(422, "validation_failed");
        assert_eq!(en.body["title"], "Unprocessable Entity");
        assert_eq!(messages(&en.body)[0], "id_number is required");
        let zh = ask("en-US;q=0.4, zh-CN").await.problem(422, "validation_failed");
        assert_eq!(messages(&zh.body)[0], "缺少必填字段 id_number");
        assert_ne!(zh.body["title"], "Unprocessable Entity");
        // q=0 refuses English outright.
        let zh = ask("en;q=0, fr").await.problem(422, "validation_failed");
        assert_eq!(messages(&zh.body)[0], "缺少必填字段 id_number");
    }

    async fn a_label_where_a_code_is_wanted_names_the_code(app: &TestApp) {
        let before = app.count("retirees");
        let mut body = retiree_body("350203001001", 1);
        body["category"] = json!("企业职工");
        let zh = app.post("/api/v1/retirees", "city", &body).await.problem(422, "invalid_enum");
        assert_eq!(zh.first_field(), "/category");
        let message = messages(&zh.body).remove(0);
        assert!(message.starts_with("“企业职工”是代码 enterprise_employee 的中文名称，此处请填写代码 enterprise_employee"), "{message}");
        assert!(message.contains("individually_insured"), "the accepted codes are listed: {message}");
        let en = app.post_with("/api/v1/retirees", "city", &body, &[("Accept-Language", "en")]).await;
        let en = en.problem(422, "invalid_enum");
        let message = messages(&en.body).remove(0);
        assert!(message.starts_with("'企业职工' is the Chinese label of enterprise_employee; send the code enterprise_employee"), "{message}");
        assert!(!message.contains('`'), "{message}");
        // Missing fields and a wrong value are reported together.
        let mut body = retiree_body("350203001001", 2);
        body["category"] = json!("企业职工");
        body.as_object_mut().unwrap().remove("retirement_date");
        let both = app.post("/api/v1/retirees", "city", &body).await.problem(422, "validation_failed");
        assert_eq!(
            fields(&both.body),
            [("/retirement_date".to_owned(), "required".to_owned()), ("/category".to_owned(), "invalid_enum".to_owned())]
        );
        assert_eq!(app.count("retirees"), before);
        // The same body with the code is taken.
        body["category"] = json!("enterprise_employee");
        body["retirement_date"] = json!("2015-01-01");
        app.post("/api/v1/retirees", "city", &body).await.expect(201);
        assert_eq!(app.count("retirees"), before + 1);
    }

    async fn wrong_types_read_cleanly(app: &TestApp) {
        let mut body = retiree_body("350203001001", 3);
        body["party_member"] = json!("yes");
        let en = app.post_with("/api/v1/retirees", "city", &body, &[("Accept-Language", "en")]).await;
        let en = en.problem(422, "invalid_type");
        assert_eq!(en.first_field(), "/party_member");
        assert_eq!(messages(&en.body), ["wrong type: expected true or false, got text"]);
        let zh = app.post("/api/v1/retirees", "city", &body).await.problem(422, "invalid_type");
        assert_eq!(messages(&zh.body), ["类型错误：应为布尔值（true/false），实际为文本"]);
    }
}
