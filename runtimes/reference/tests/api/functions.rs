//! The function calls end to end: CreateFunction, GetFunctionConfig and DeleteFunction, their
//! duplicates and unknown functions, each validation error's code, unsafe zip entries.

use super::*;

#[tokio::test]
async fn create_get_delete_round_trip() {
    let f = Fixture::start().await;
    let (status, model) = f
        .create(&create_body(
            "hello",
            json!({"user_data": "{\"GREETING\":\"hi\"}", "initializer_handler": "index.init", "initializer_timeout": 5}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    let urn = model["func_urn"].as_str().unwrap();
    assert_eq!(urn, "urn:fss:fgref:p1:function:default:hello:latest");
    for (field, expected) in [
        ("func_name", json!("hello")),
        ("namespace", json!(PROJECT)),
        ("package", json!("default")),
        ("runtime", json!(runtime_id())),
        ("handler", json!("index.handler")),
        ("memory_size", json!(128)),
        ("timeout", json!(3)),
        ("code_type", json!("zip")),
        ("user_data", json!("{\"GREETING\":\"hi\"}")),
        ("version", json!("latest")),
        ("initializer_handler", json!("index.init")),
        ("initializer_timeout", json!(5)),
        ("cpu", json!(300)),
        ("strategy_config", json!({"concurrency": -1})),
    ] {
        assert_eq!(model[field], expected, "{field} in {model}");
    }
    assert!(model["code_size"].as_u64().unwrap() > 0);
    assert!(model["last_modified"].as_str().unwrap().ends_with('Z'));

    for url in [
        format!("{}/config", f.function_url(urn)),
        format!(
            "{}/config",
            f.function_url("urn:fss:fgref:p1:function:default:hello")
        ),
    ] {
        let got = f.client.get(url).send().await.unwrap();
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.json::<Value>().await.unwrap(), model);
    }

    // The latest version may not be deleted on its own, and the function stays.
    let refused = f.client.delete(f.function_url(urn)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error_code"], "FSS.1015", "{body}");
    let kept = f
        .client
        .get(format!("{}/config", f.function_url(urn)))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), StatusCode::OK);

    let deleted = f.client.delete(f.delete_url(urn)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for response in [
        f.client
            .get(format!("{}/config", f.function_url(urn)))
            .send()
            .await
            .unwrap(),
        f.client.delete(f.delete_url(urn)).send().await.unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], "FSS.1051", "{body}");
    }
    f.server.shutdown().await;
}

#[tokio::test]
async fn duplicates_and_unknown_functions() {
    let f = Fixture::start().await;
    let urn = f.create_ok("dup", json!({})).await;
    let (status, body) = f.create(&create_body("dup", json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error_code"], "FSS.1061", "{body}");
    // Same name in another package is another function.
    f.create_ok("dup", json!({"package": "other"})).await;

    let missing = f.invoke(&urn.replace(":dup:", ":nope:"), json!({})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error_code"], "FSS.1051");
    let other_version = f.invoke(&urn.replace(":latest", ":v1"), json!({})).await;
    assert_eq!(other_version.status, StatusCode::NOT_FOUND);

    let no_route = f
        .client
        .get(format!("{}/nothing/here", f.server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_route.status(), StatusCode::NOT_FOUND);
    f.server.shutdown().await;
}

#[tokio::test]
async fn validation_errors_carry_their_codes() {
    let f = Fixture::start().await;
    let cases = [
        (json!({"runtime": "Python3.9"}), "FSS.1005"),
        (json!({"handler": "index"}), "FSS.1003"),
        (json!({"memory_size": 100}), "FSS.1007"),
        (json!({"timeout": 1}), "FSS.1008"),
        (json!({"initializer_handler": "init"}), "FSS.1404"),
        (json!({"initializer_handler": "index.init"}), "FSS.1405"),
        (
            json!({"initializer_handler": "index.init", "initializer_timeout": 301}),
            "FSS.1405",
        ),
        (json!({"func_name": "9lives"}), "FSS.1002"),
        (json!({"package": "a b"}), "FSS.1004"),
        (json!({"code_type": "inline"}), "FSS.1006"),
        (json!({"func_code": {}}), "FSS.1012"),
        (json!({"func_code": {"file": "***"}}), "FSS.1011"),
        (
            json!({"func_code": {"file": BASE64.encode("not a zip")}}),
            "FSS.1011",
        ),
        (json!({"memory_size": "128"}), "FSS.0400"),
        (json!({"user_data": "{\"A\": 1}"}), "FSS.1009"),
        (json!({"user_data": user_data_of(21, 1)}), "FSS.1017"),
        (json!({"user_data": user_data_of(1, 4096)}), "FSS.1018"),
    ];
    for (extra, code) in cases {
        let (status, body) = f.create(&create_body("v", extra.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {body}");
        assert_eq!(body["error_code"], code, "{extra}: {body}");
        assert!(!body["error_msg"].as_str().unwrap().is_empty());
    }
    let mut missing = create_body("v", json!({}));
    missing.as_object_mut().unwrap().remove("handler");
    let (status, body) = f.create(&missing).await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("FSS.0400"))
    );

    let not_json = f
        .client
        .post(f.functions_url())
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let urn = f.create_ok("v", json!({})).await;
    let invoked = f.invoke_with(&urn, "not json", &[]).await;
    assert_eq!(invoked.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(invoked.json()["error_code"], "FSS.0406");
    f.server.shutdown().await;
}

#[tokio::test]
async fn unsafe_zip_entries_are_refused() {
    let f = Fixture::start().await;
    let zip = zip_of(&[("index.js", "x"), ("../escaped.js", "evil")]);
    let (status, body) = f
        .create(&create_body(
            "slip",
            json!({"func_code": {"file": BASE64.encode(zip)}}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "FSS.1011");
    let message = body["error_msg"].as_str().unwrap();
    assert!(message.contains("../escaped.js"), "{message}");
    // Nothing was registered: the name is still free.
    f.create_ok("slip", json!({})).await;
    f.server.shutdown().await;
}
