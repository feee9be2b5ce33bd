//! The faulty proxy's rewrites of the functions API: CreateFunction's request (a platform that
//! runs something other than what was configured) and answer (a model that misdescribes the
//! function, or hides the request's rewrite), ListFunctions' query and page, and the URN
//! DeleteFunction names.

use axum::body::Bytes;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha512};

use super::Fault;

pub(super) fn rewrite_create(fault: Fault, body: Bytes) -> Bytes {
    let Ok(mut request) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    match fault {
        Fault::TimeoutNotEnforced => {
            // Only valid timeouts: refusing invalid ones is another behaviour.
            if let Some(t) = request["timeout"]
                .as_u64()
                .filter(|t| (3..=900).contains(t))
            {
                request["timeout"] = json!(t * 10);
            }
        }
        Fault::MemoryNotEnforced => {
            // Only sizes CreateFunction lists: refusing others is another behaviour.
            if let Some(m) = request["memory_size"].as_u64().filter(|m| *m <= 4096) {
                request["memory_size"] = json!((m * 4).min(4096));
            }
        }
        Fault::InitializerTimeoutDoubled => {
            if let Some(t) = request["initializer_timeout"]
                .as_u64()
                .filter(|t| (1..=150).contains(t))
            {
                request["initializer_timeout"] = json!(t * 2);
            }
        }
        Fault::BoundariesClamped => clamp_boundaries(&mut request),
        Fault::OptionalFieldsUnchecked => {
            if let Some(fields) = request.as_object_mut() {
                for field in [
                    "pre_stop_handler",
                    "pre_stop_timeout",
                    "encrypted_user_data",
                ] {
                    fields.remove(field);
                }
            }
        }
        Fault::PackageDefaulted if request["package"].is_null() => {
            request["package"] = json!("default");
        }
        Fault::TimeoutDefaultedTo900 if request["timeout"].is_null() => {
            request["timeout"] = json!(900);
        }
        Fault::TimeoutDefaultedTo3 if request["timeout"].is_null() => {
            request["timeout"] = json!(3);
        }
        Fault::MemoryOver10GbAccepted => {
            if request["memory_size"].as_u64().is_some_and(|m| m > 10240) {
                request["memory_size"] = json!(4096);
            }
        }
        Fault::PackageSizesUnchecked => match request["func_code"]["file"]
            .as_str()
            .and_then(without_filler)
        {
            Some(file) => request["func_code"]["file"] = json!(file),
            None => return body,
        },
        Fault::InitializerTimeoutDefaulted => {
            if request["initializer_handler"].is_string()
                && request["initializer_timeout"].is_null()
            {
                request["initializer_timeout"] = json!(3);
            }
        }
        _ => return body,
    }
    Bytes::from(request.to_string())
}

fn clamp_boundaries(request: &mut Value) {
    if request["timeout"] == json!(3) {
        request["timeout"] = json!(4);
    }
    if request["memory_size"] == json!(1536) {
        request["memory_size"] = json!(2048);
    }
    let user_data = request["user_data"].as_str().unwrap_or_default().to_owned();
    if let Ok(Value::Object(mut entries)) = serde_json::from_str::<Value>(&user_data) {
        while entries.len() >= 20 {
            let last = entries.keys().next_back().cloned().unwrap_or_default();
            entries.remove(&last);
        }
        for value in entries.values_mut() {
            if let Some(text) = value.as_str().filter(|t| t.len() >= 1024) {
                *value = json!(text[..1000].to_owned());
            }
        }
        request["user_data"] = json!(Value::Object(entries).to_string());
    }
}

/// A 2xx CreateFunction answer (the function's model) as the fault gives it.
pub(super) fn rewrite_create_answer(fault: Fault, body: Bytes) -> Bytes {
    let Ok(mut model) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    match fault {
        // The model must still say what the caller configured.
        Fault::MemoryNotEnforced => {
            if let Some(m) = model["memory_size"].as_u64() {
                model["memory_size"] = json!((m / 4).max(128));
            }
        }
        Fault::InitializerTimeoutDoubled => {
            if let Some(t) = model["initializer_timeout"].as_u64() {
                model["initializer_timeout"] = json!((t / 2).max(1));
            }
        }
        Fault::CreateAnswerMisdescribesCode => {
            if let Some(size) = model["code_size"].as_u64() {
                model["code_size"] = json!(size + 1);
            }
            let empty: String = Sha512::digest(b"")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            model["digest"] = json!(empty);
        }
        Fault::CpuInCores => model["cpu"] = json!(1),
        Fault::TypeDefaultV1 => model["type"] = json!("v1"),
        Fault::TypeMissing => {
            if let Some(fields) = model.as_object_mut() {
                fields.remove("type");
            }
        }
        Fault::FuncUrnWithoutVersion => {
            if let Some(urn) = model["func_urn"]
                .as_str()
                .and_then(|u| u.strip_suffix(":latest"))
            {
                model["func_urn"] = json!(urn);
            }
        }
        Fault::CreateAnswerForgetsConfiguration => {
            model["user_data"] = json!("");
            model["initializer_handler"] = json!("");
            model["initializer_timeout"] = json!(0);
            model["timeout"] = json!(3);
        }
        _ => return body,
    }
    Bytes::from(model.to_string())
}

/// ListFunctions' path and query as the fault sends it on.
pub(super) fn rewrite_list_query(fault: Fault, path: &str) -> String {
    match fault {
        Fault::NegativeMaxitemsAccepted => path.replace("maxitems=-", "maxitems=0&was=-"),
        // Refused as fgref refuses a negative maxitems.
        Fault::MaxitemsOutsideRangeRefused => path
            .replace("maxitems=0", "maxitems=-1")
            .replace("maxitems=401", "maxitems=-1"),
        _ => path.to_owned(),
    }
}

/// A 2xx ListFunctions page as the fault gives it.
pub(super) fn rewrite_function_list(fault: Fault, body: Bytes) -> Bytes {
    let Ok(mut page) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    match fault {
        Fault::ListFunctionsIgnorePackage => {
            // As if another package's function had been listed with the filtered ones.
            let mut other = page["functions"][0].clone();
            if other.is_null() {
                return body;
            }
            other["package"] = json!("another-package");
            other["func_name"] = json!("function-of-another-package");
            if let Some(functions) = page["functions"].as_array_mut() {
                functions.push(other);
            }
        }
        Fault::ListFunctionsWithoutCount => {
            if let Some(fields) = page.as_object_mut() {
                fields.remove("count");
            }
        }
        _ => return body,
    }
    Bytes::from(page.to_string())
}

/// A DELETE's path (`method`; any other call's passes as it is): a platform that takes the latest
/// version's URN for the function's.
pub(super) fn rewrite_delete_path(
    fault: Fault,
    method: &axum::http::Method,
    path: String,
) -> String {
    match path.strip_suffix("%3Alatest") {
        Some(function)
            if fault == Fault::DeleteLatestDeletesFunction
                && method == axum::http::Method::DELETE =>
        {
            function.to_owned()
        }
        _ => path,
    }
}

/// The package `file` (base64) without the harness's filler, base64 again: what a platform that
/// checks no size would have run. `None` when it holds no filler.
fn without_filler(file: &str) -> Option<String> {
    use base64::Engine as _;
    let base64 = base64::engine::general_purpose::STANDARD;
    let zip = base64.decode(file).ok()?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).ok()?;
    let filler = fgconform::package::FILLER_NAME;
    archive.index_for_name(filler)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).ok()?;
        if entry.name().ok()?.as_ref() != filler {
            out.raw_copy_file(entry).ok()?;
        }
    }
    Some(base64.encode(out.finish().ok()?.into_inner()))
}
