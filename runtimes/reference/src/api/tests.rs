//! The routes called directly on a platform of their own, to see state the API does not show:
//! a created function's extension scripts.

use std::{io::Write, path::PathBuf, sync::Arc, time::Duration};

use axum::{body::Bytes, extract::Path, extract::State};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use serde_json::json;
use zip::write::SimpleFileOptions;

use super::{dependencies::create_dependency_version, functions::create_function};
use crate::{
    auth::Gate, dependencies::Dependencies, platform::Platform, registry::FunctionKey,
    registry::Registry,
};

const PROJECT: &str = "p1";

fn platform(dir: &std::path::Path) -> Arc<Platform> {
    let functions_dir = dir.join("functions");
    let dependencies_dir = dir.join("dependencies");
    std::fs::create_dir_all(&functions_dir).unwrap();
    std::fs::create_dir_all(&dependencies_dir).unwrap();
    Arc::new(Platform {
        gate: Gate {
            token: None,
            key: None,
        },
        bootstrap: dir.join("unused-runtime.js"),
        node_cache: None,
        functions_dir,
        idle_timeout: Duration::from_secs(60),
        host_ports: Vec::new(),
        faults: crate::fault::Faults::default(),
        registry: Registry::default(),
        dependencies: Dependencies::new(dependencies_dir),
        instances: Arc::default(),
        instance_quota: crate::instance::Quota::new(None),
    })
}

fn zip_of(entries: &[(&str, &str)]) -> String {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in entries {
        writer
            .start_file(*name, SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    BASE64.encode(writer.finish().unwrap().into_inner())
}

async fn dependency(platform: &Arc<Platform>, name: &str, entries: &[(&str, &str)]) -> String {
    let body = json!({
        "depend_type": "zip",
        "depend_file": zip_of(entries),
        "runtime": "Node.js20.15",
        "name": name,
    });
    let created = create_dependency_version(
        State(Arc::clone(platform)),
        Ok(Path(PROJECT.to_owned())),
        Ok(Bytes::from(body.to_string())),
    )
    .await
    .unwrap();
    created.0.id
}

#[tokio::test]
async fn a_function_knows_the_extension_scripts_its_dependencies_brought() {
    let dir = tempfile::tempdir().unwrap();
    let platform = platform(dir.path());
    let second = dependency(
        &platform,
        "second",
        &[
            ("extension/extensionB.sh", "b"),
            ("extension/helper.js", "not a script"),
        ],
    )
    .await;
    let first = dependency(
        &platform,
        "first",
        &[
            ("extension/extensionC.sh", "c"),
            ("extension/extensionA.sh", "a"),
        ],
    )
    .await;
    let body = json!({
        "func_name": "ext",
        "package": "default",
        "runtime": "Node.js20.15",
        "handler": "index.handler",
        "memory_size": 128,
        "timeout": 3,
        "code_type": "zip",
        "func_code": {"file": zip_of(&[
            ("index.js", "exports.handler = () => 1;"),
            ("extension/extensionOwn.sh", "the code's own does not count"),
        ])},
        "depend_version_list": [second, first],
    });
    let model = create_function(
        State(Arc::clone(&platform)),
        Ok(Path(PROJECT.to_owned())),
        Ok(Bytes::from(body.to_string())),
    )
    .await
    .unwrap();
    assert_eq!(model.0.depend_version_list, [second, first]);
    let function = platform
        .registry
        .get(&FunctionKey {
            project_id: PROJECT.into(),
            package: "default".into(),
            name: "ext".into(),
        })
        .unwrap();
    let expected: Vec<PathBuf> = ["extensionA.sh", "extensionB.sh", "extensionC.sh"]
        .iter()
        .map(|name| function.code_root.join("extension").join(name))
        .collect();
    assert_eq!(function.extension_scripts, expected);
    assert!(function.extension_scripts.iter().all(|p| p.is_absolute()));
    assert!(
        function
            .code_root
            .join("extension/extensionOwn.sh")
            .is_file()
    );
}
