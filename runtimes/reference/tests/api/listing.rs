//! The list calls end to end: ListFunctions (PROTOCOL.md §3), the project's functions in pages
//! of `maxitems` from `marker`, `next_marker` and `count`, the `package_name` filter, and the
//! refusals; ListDependencies (§6), one entry per dependency with its latest version.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Fixture, PROJECT, runtime_id, zip_of};

impl Fixture {
    async fn list(&self, query: &str) -> (StatusCode, Value) {
        let url = format!("{}?{query}", self.functions_url());
        let response = self.client.get(url).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }
}

fn names(page: &Value) -> Vec<&str> {
    page["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["func_name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn functions_are_listed_in_pages_oldest_first() {
    let fixture = Fixture::start().await;
    let (status, empty) = fixture.list("").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(
        empty,
        json!({"functions": [], "next_marker": 0, "count": 0})
    );

    for name in ["f1", "f2", "f3", "f4", "f5"] {
        fixture.create_ok(name, json!({})).await;
    }
    fixture
        .create_ok("other-app", json!({"package": "app"}))
        .await;
    let (_, all) = fixture.list("").await;
    assert_eq!(names(&all), ["f1", "f2", "f3", "f4", "f5", "other-app"]);
    assert_eq!(
        (all["count"].clone(), all["next_marker"].clone()),
        (json!(6), json!(6))
    );
    // Each entry is the function model GetFunctionConfig answers.
    let first = &all["functions"][0];
    assert_eq!(first["namespace"], PROJECT);
    let urn = first["func_urn"].as_str().unwrap();
    let config = fixture
        .client
        .get(format!("{}/config", fixture.function_url(urn)))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(&config, first);

    // Paging: follow next_marker until a page comes back empty.
    let mut marker = 0;
    let mut pages = Vec::new();
    loop {
        let (status, page) = fixture.list(&format!("marker={marker}&maxitems=2")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["count"], 6, "count is every match, on every page");
        if names(&page).is_empty() {
            assert_eq!(page["next_marker"], 6);
            break;
        }
        pages.push(names(&page).join(","));
        marker = page["next_marker"].as_u64().unwrap();
    }
    assert_eq!(pages, ["f1,f2", "f3,f4", "f5,other-app"]);

    let (_, app) = fixture.list("package_name=app").await;
    assert_eq!(names(&app), ["other-app"]);
    assert_eq!(app["count"], 1);
    // 0 or more than 400 mean 400.
    for query in ["maxitems=0", "maxitems=401"] {
        let (status, page) = fixture.list(query).await;
        assert_eq!((status, names(&page).len()), (StatusCode::OK, 6), "{query}");
    }

    // A deleted function leaves the list; another project sees none of these.
    let response = fixture
        .client
        .delete(fixture.delete_url(urn))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, after) = fixture.list("").await;
    assert_eq!(names(&after), ["f2", "f3", "f4", "f5", "other-app"]);
    let elsewhere = format!("{}/v2/p2/fgs/functions", fixture.server.url());
    let page: Value = fixture
        .client
        .get(elsewhere)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["count"], 0);
}

#[tokio::test]
async fn bad_list_parameters_are_refused_with_fss_1001() {
    let fixture = Fixture::start().await;
    for query in ["maxitems=-1", "maxitems=ten", "marker=-1", "marker=x"] {
        let (status, body) = fixture.list(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error_code"], "FSS.1001", "{query}: {body}");
    }
}

#[tokio::test]
async fn dependencies_are_listed_by_name_with_their_latest_version() {
    let fixture = Fixture::start().await;
    let url = format!("{}/v2/{PROJECT}/fgs/dependencies", fixture.server.url());
    let zip = BASE64.encode(zip_of(&[("lib/x.js", "module.exports = 1;")]));
    let mut created = Vec::new();
    for name in ["zeta", "alpha", "zeta"] {
        let body = json!({"depend_type": "zip", "depend_file": zip, "runtime": runtime_id(), "name": name});
        let response = fixture
            .client
            .post(format!("{url}/version"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        created.push(response.json::<Value>().await.unwrap());
    }
    let list = |query: &str| {
        let request = fixture.client.get(format!("{url}?{query}"));
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, all) = list("").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        (all["count"].clone(), all["next_marker"].clone()),
        (json!(2), json!(2))
    );
    let entries = all["dependencies"].as_array().unwrap();
    assert_eq!(entries[0]["name"], "alpha");
    assert_eq!(
        entries[0]["id"], created[1]["dep_id"],
        "id is the dependency's"
    );
    assert_eq!(entries[1]["name"], "zeta");
    assert_eq!(entries[1]["id"], created[0]["dep_id"]);
    assert_eq!(entries[1]["version"], 2, "the latest version");
    assert_eq!(entries[1]["etag"], created[2]["etag"]);

    let (_, page) = list("marker=1&maxitems=1").await;
    assert_eq!(page["dependencies"][0]["name"], "zeta", "{page}");
    assert_eq!(page["next_marker"], 2);
    let (_, named) = list("name=alpha").await;
    assert_eq!(named["count"], 1, "{named}");
    let (_, public) = list("dependency_type=public").await;
    assert_eq!(
        public["count"], 0,
        "fgref has no public dependencies: {public}"
    );
    let (status, bad) = list("maxitems=x").await;
    assert_eq!(
        (status, bad["error_code"].clone()),
        (StatusCode::BAD_REQUEST, json!("FSS.1001"))
    );
}
