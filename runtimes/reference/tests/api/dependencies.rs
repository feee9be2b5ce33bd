//! Dependency versions end to end (PROTOCOL.md §6): their four routes and refusals, and
//! functions that name them in `depend_version_list`, whose code root holds the code's files
//! under the dependencies'.

use std::path::PathBuf;

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use md5::{Digest, Md5};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Fixture, PROJECT, create_body, runtime_id, zip_of};

/// Enough for a dependency that is not used for its files.
fn small_zip() -> Vec<u8> {
    zip_of(&[("lib/x.js", "module.exports = 1;")])
}

/// A zip holding `bytes` uncompressed, so it is larger than they are.
fn stored_zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer.start_file(name, options).unwrap();
    writer.write_all(bytes).unwrap();
    writer.finish().unwrap().into_inner()
}

fn dependency_body(name: &str, zip: &[u8], extra: Value) -> Value {
    let mut body = json!({
        "depend_type": "zip",
        "depend_file": BASE64.encode(zip),
        "runtime": runtime_id(),
        "name": name,
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

impl Fixture {
    fn dependencies_url(&self) -> String {
        format!("{}/v2/{PROJECT}/fgs/dependencies", self.server.url())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        };
        (status, body)
    }

    async fn create_dependency(&self, body: &Value) -> (StatusCode, Value) {
        let url = format!("{}/version", self.dependencies_url());
        self.send(self.client.post(url).json(body)).await
    }

    /// Creates a version of `name` from `zip`; returns its answer.
    async fn dependency_ok(&self, name: &str, zip: &[u8]) -> Value {
        let (status, body) = self
            .create_dependency(&dependency_body(name, zip, json!({})))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    fn version_url(&self, version: &Value) -> String {
        format!(
            "{}/{}/version/{}",
            self.dependencies_url(),
            version["dep_id"].as_str().unwrap(),
            version["version"]
        )
    }

    /// RUNTIME_CODE_ROOT of an instance of `urn`, as its runtime saw it.
    async fn code_root_of(&self, urn: &str) -> PathBuf {
        let invoked = self.invoke(urn, json!({"tag": "root"})).await;
        let root = invoked.result()["env"]["RUNTIME_CODE_ROOT"].clone();
        PathBuf::from(root.as_str().unwrap())
    }
}

#[tokio::test]
async fn versions_are_created_listed_shown_and_deleted() {
    let f = Fixture::start().await;
    let zip = small_zip();
    let first = f.dependency_ok("my-dep.v1", &zip).await;
    let second = f
        .create_dependency(&dependency_body(
            "my-dep.v1",
            &zip,
            json!({"description": "the second"}),
        ))
        .await
        .1;
    let other = f.dependency_ok("other", &zip).await;

    let etag: String = Md5::digest(&zip)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for (field, expected) in [
        ("version", json!(1)),
        ("name", json!("my-dep.v1")),
        ("runtime", json!(runtime_id())),
        ("size", json!(zip.len())),
        ("etag", json!(etag)),
        ("owner", json!(PROJECT)),
        ("link", json!("")),
        ("description", json!("")),
        ("file_name", json!("my-dep.v1.zip")),
    ] {
        assert_eq!(first[field], expected, "{field} in {first}");
    }
    assert_eq!(first["id"].as_str().unwrap().len(), 36, "a UUID: {first}");
    assert!(first["last_modified"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(second["version"], 2, "{second}");
    assert_eq!(second["description"], "the second");
    assert_eq!(second["dep_id"], first["dep_id"]);
    assert_ne!(second["id"], first["id"]);
    assert_eq!(other["version"], 1);
    assert_ne!(other["dep_id"], first["dep_id"]);

    let list_url = format!(
        "{}/{}/version",
        f.dependencies_url(),
        first["dep_id"].as_str().unwrap()
    );
    let (status, list) = f.send(f.client.get(&list_url)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["dependencies"], json!([first, second]));
    assert_eq!(
        (list["count"].clone(), list["next_marker"].clone()),
        (json!(2), json!(2))
    );
    let (_, page) = f
        .send(f.client.get(format!("{list_url}?marker=1&maxitems=1")))
        .await;
    assert_eq!(page["dependencies"], json!([second]), "{page}");
    assert_eq!(page["next_marker"], 2);
    let (status, bad) = f.send(f.client.get(format!("{list_url}?maxitems=x"))).await;
    assert_eq!(
        (status, bad["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("FSS.1001"))
    );

    let (status, shown) = f.send(f.client.get(f.version_url(&second))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, second);

    let (status, _) = f.send(f.client.delete(f.version_url(&first))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = f.send(f.client.get(&list_url)).await;
    assert_eq!(list["dependencies"], json!([second]));
    let missing_dep = format!("{}/nope/version", f.dependencies_url());
    for request in [
        f.client.get(f.version_url(&first)),
        f.client.delete(f.version_url(&first)),
        f.client.get(format!(
            "{}/{}/version/x",
            f.dependencies_url(),
            first["dep_id"].as_str().unwrap()
        )),
        f.client.get(missing_dep),
        // Another project does not see this one's dependencies.
        f.client
            .get(list_url.replace(&format!("/{PROJECT}/"), "/p2/")),
    ] {
        let (status, body) = f.send(request).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error_code"], "FSS.1056", "{body}");
    }
    f.server.shutdown().await;
}

#[tokio::test]
async fn bad_dependency_versions_are_refused_with_their_codes() {
    let f = Fixture::start().await;
    let zip = small_zip();
    let many: Vec<String> = (0..10_001).map(|i| format!("f{i}")).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|n| (n.as_str(), "")).collect();
    let cases = [
        (
            json!({"depend_type": "obs", "depend_link": "https://bucket.example/d.zip"}),
            "FSS.1032",
        ),
        (json!({"depend_type": "jar"}), "FSS.1032"),
        (json!({"name": "9lives"}), "FSS.1024"),
        (json!({"name": "ends-"}), "FSS.1024"),
        (json!({"name": "a".repeat(97)}), "FSS.1024"),
        (json!({"runtime": "Python3.9"}), "FSS.1005"),
        (json!({"description": "d".repeat(513)}), "FSS.1019"),
        (json!({"depend_file": null}), "FSS.1024"),
        (json!({"depend_file": "***"}), "FSS.1024"),
        (
            json!({"depend_file": BASE64.encode("not a zip")}),
            "FSS.1024",
        ),
        (
            json!({"depend_file": BASE64.encode(zip_of(&[("../up.js", "")]))}),
            "FSS.1024",
        ),
        (
            json!({"depend_file": BASE64.encode(zip_of(&[("/abs.js", "")]))}),
            "FSS.1024",
        ),
        (
            json!({"depend_file": BASE64.encode(zip_of(&many))}),
            "FSS.1024",
        ),
        (json!({"runtime": 20}), "FSS.0400"),
    ];
    for (extra, code) in cases {
        let (status, body) = f
            .create_dependency(&dependency_body("bad", &zip, extra.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {body}");
        assert_eq!(body["error_code"], code, "{extra}: {body}");
    }
    let (_, obs) = f
        .create_dependency(&dependency_body("bad", &zip, json!({"depend_type": "obs"})))
        .await;
    assert!(
        obs["error_msg"].as_str().unwrap().contains("no OBS"),
        "{obs}"
    );

    // 40 MB of zip at most (stored, so its size is what it holds).
    let over = stored_zip_of("big.bin", &vec![b'x'; 40 * 1024 * 1024]);
    assert!(over.len() > 40 * 1024 * 1024);
    let (status, body) = f
        .create_dependency(&dependency_body("big", &over, json!({})))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error_code"], "FSS.0413");

    // Nothing refused was kept: the name starts at version 1.
    assert_eq!(f.dependency_ok("bad", &zip).await["version"], 1);
    f.server.shutdown().await;
}

#[tokio::test]
async fn code_then_dependencies_share_the_code_root_in_list_order() {
    let f = Fixture::start().await;
    let a = f
        .dependency_ok(
            "a",
            &zip_of(&[
                ("shared.txt", "a"),
                ("lib/a.txt", "a"),
                ("both.txt", "a"),
                ("over.txt", "a"),
            ]),
        )
        .await;
    let b = f
        .dependency_ok(
            "b",
            &zip_of(&[("shared.txt", "b"), ("lib/b.txt", "b"), ("both.txt", "b")]),
        )
        .await;
    let code = zip_of(&[
        ("index.js", "exports.handler = () => 1;"),
        ("both.txt", "code"),
        ("over.txt", "code"),
        ("own.txt", "code"),
    ]);
    let code = json!({"file": BASE64.encode(code)});
    let ab = json!([a["id"], b["id"]]);
    let urn = f
        .create_ok(
            "ab",
            json!({"func_code": code.clone(), "depend_version_list": ab}),
        )
        .await;
    let (_, model) = f
        .send(f.client.get(format!("{}/config", f.function_url(&urn))))
        .await;
    assert_eq!(model["depend_version_list"], ab, "{model}");
    let root = f.code_root_of(&urn).await;
    let read = |file: &str| std::fs::read_to_string(root.join(file)).unwrap();
    assert_eq!(read("shared.txt"), "b", "the later dependency wins");
    assert_eq!(read("over.txt"), "a", "a dependency wins over the code");
    assert_eq!(read("both.txt"), "b", "the last layer wins");
    assert_eq!(read("own.txt"), "code");
    assert_eq!(
        (read("lib/a.txt"), read("lib/b.txt")),
        ("a".into(), "b".into())
    );
    assert!(root.join("index.js").is_file());

    let ba = json!([b["id"], a["id"]]);
    let urn = f
        .create_ok("ba", json!({"func_code": code, "depend_version_list": ba}))
        .await;
    let root = f.code_root_of(&urn).await;
    let read = |file: &str| std::fs::read_to_string(root.join(file)).unwrap();
    assert_eq!(
        (read("shared.txt"), read("both.txt"), read("over.txt")),
        ("a".into(), "a".into(), "a".into())
    );

    let (_, plain) = f.create(&create_body("plain", json!({}))).await;
    assert_eq!(plain["depend_version_list"], json!([]), "{plain}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn depend_version_list_is_checked() {
    let f = Fixture::start().await;
    let dep = f.dependency_ok("d", &small_zip()).await;
    let id = dep["id"].clone();
    let twenty_one: Vec<Value> = (0..21).map(|_| id.clone()).collect();
    let cases = [
        (
            json!(["4f4ae4eb-dcdc-4dd3-bffd-79600bd972b3"]),
            StatusCode::NOT_FOUND,
            "FSS.1056",
        ),
        (json!([id, "nope"]), StatusCode::NOT_FOUND, "FSS.1056"),
        (json!(twenty_one), StatusCode::FORBIDDEN, "FSS.1045"),
        (json!([id, id]), StatusCode::BAD_REQUEST, "FSS.1024"),
        (json!("not a list"), StatusCode::BAD_REQUEST, "FSS.0400"),
    ];
    for (list, status, code) in cases {
        let (got, body) = f
            .create(&create_body(
                "uses",
                json!({"depend_version_list": list.clone()}),
            ))
            .await;
        assert_eq!(got, status, "{list}: {body}");
        assert_eq!(body["error_code"], code, "{list}: {body}");
    }
    // A version of another project is unknown here.
    let elsewhere = f
        .send(
            f.client
                .post(format!("{}/v2/p2/fgs/dependencies/version", f.server.url()))
                .json(&dependency_body("d", &small_zip(), json!({}))),
        )
        .await
        .1;
    let (status, body) = f
        .create(&create_body(
            "uses",
            json!({"depend_version_list": [elsewhere["id"]]}),
        ))
        .await;
    assert_eq!(
        (status, body["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!("FSS.1056"))
    );
    // Refusals kept nothing: the name is free and the version is not in use.
    f.create_ok("uses", json!({"depend_version_list": [id]}))
        .await;
    f.server.shutdown().await;
}

#[tokio::test]
async fn a_version_in_use_cannot_be_deleted_until_its_functions_are() {
    let f = Fixture::start().await;
    let dep = f.dependency_ok("used", &small_zip()).await;
    let urn = f
        .create_ok("user", json!({"depend_version_list": [dep["id"]]}))
        .await;
    let (status, body) = f.send(f.client.delete(f.version_url(&dep))).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    assert_eq!(body["error_code"], "FSS.1033");
    let deleted = f.client.delete(f.delete_url(&urn)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, body) = f.send(f.client.delete(f.version_url(&dep))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    f.server.shutdown().await;
}

#[tokio::test]
async fn dependencies_and_code_share_the_unpack_limits() {
    let f = Fixture::start().await;
    // A dependency of 6,000 entries and code of 5,000: each fits alone, together they pass
    // fgref's 10,000; the dependency, laid after the code, is the one that crosses the limit.
    let names: Vec<String> = (0..6_000).map(|i| format!("d{i}")).collect();
    let entries: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let dep = f.dependency_ok("wide", &zip_of(&entries)).await;
    let names: Vec<String> = (0..5_000).map(|i| format!("c{i}")).collect();
    let entries: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let code = json!({"file": BASE64.encode(zip_of(&entries))});
    f.create_ok("alone", json!({"func_code": code.clone()}))
        .await;
    let (status, body) = f
        .create(&create_body(
            "together",
            json!({"func_code": code, "depend_version_list": [dep["id"]]}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_code"], "FSS.1024", "{body}");
    assert!(
        body["error_msg"].as_str().unwrap().contains("10000"),
        "{body}"
    );
    f.server.shutdown().await;
}
