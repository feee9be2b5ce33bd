//! Deploying a case's function: the CreateFunction request (its package zipped and encoded), the
//! case's own check of CreateFunction's answer (`[deploy]`), and the function model it answers.

use base64::Engine as _;

use crate::case::Case;
use crate::judge;
use crate::matcher::Captures;
use crate::package;
use crate::runtime_id::RuntimeId;
use crate::verdict::{Failure, TrialError, Verdict};
use crate::wire::{Client, CreateFunctionRequest, FuncCode, FunctionModel, ProtocolError};

/// The package every function of the harness belongs to.
pub const PACKAGE: &str = "default";

/// The CreateFunction request of `case` on `runtime`.
pub async fn request(case: &Case, runtime: RuntimeId) -> Result<CreateFunctionRequest, TrialError> {
    let dir = case.dir.join("code");
    let zip = tokio::task::spawn_blocking(move || package::zip_dir(&dir))
        .await
        .map_err(|e| TrialError::TargetUnavailable(format!("packaging task failed: {e}")))??;
    let f = &case.function;
    let user_data =
        (!f.user_data.is_empty()).then(|| serde_json::to_string(&f.user_data).unwrap_or_default());
    Ok(CreateFunctionRequest {
        func_name: f
            .func_name
            .clone()
            .unwrap_or_else(|| function_name(&case.id)),
        package: PACKAGE.into(),
        runtime: f.runtime.clone().unwrap_or_else(|| runtime.as_str().into()),
        handler: f.handler.clone(),
        memory_size: f.memory_size,
        timeout: f.timeout,
        code_type: "zip",
        func_code: FuncCode {
            file: base64::engine::general_purpose::STANDARD.encode(zip),
        },
        user_data,
        initializer_handler: f.initializer_handler.clone(),
        initializer_timeout: f.initializer_timeout,
    })
}

/// Creates the function and checks GetFunctionConfig agrees on it. `Ok(None)`: the target
/// refused it, as the case's `[deploy]` expects, so there is nothing to invoke.
pub async fn deploy(
    client: &Client,
    case: &Case,
    request: &CreateFunctionRequest,
    captures: &mut Captures,
) -> Result<Option<FunctionModel>, Verdict> {
    let deploy_error = |e| Verdict::Error(TrialError::Deploy(e));
    let reply = client
        .create_function(request)
        .await
        .map_err(deploy_error)?;
    if let Some(check) = &case.deploy {
        let evidence = judge::api_call("CreateFunction", &check.expected, &reply, captures)
            .map_err(deploy_error)?;
        if let Some(evidence) = evidence {
            if let Ok(model) = reply.function_model("CreateFunction") {
                // Created against the case's expectation: it must not linger on the target.
                let _ = client.delete_function(&model.func_urn).await;
            }
            return Err(Verdict::Fail(Box::new(Failure {
                step: 0,
                steps: case.steps.len(),
                step_label: check.label.clone(),
                evidence,
            })));
        }
        if !reply.is_success() {
            return Ok(None);
        }
    }
    let created = reply
        .function_model("CreateFunction")
        .map_err(deploy_error)?;
    let config = client
        .get_function_config(&created.func_urn)
        .await
        .map_err(deploy_error)?;
    if config.func_urn != created.func_urn {
        let _ = client.delete_function(&created.func_urn).await;
        return Err(deploy_error(ProtocolError::Garbage {
            call: "GetFunctionConfig",
            status: 200,
            detail: format!(
                "func_urn {} differs from CreateFunction's {}",
                config.func_urn, created.func_urn
            ),
        }));
    }
    Ok(Some(created))
}

/// A FunctionGraph-valid, unique name: letters, digits, `-`, `_`, at most 60 characters,
/// starting with a letter and ending with a letter or digit.
fn function_name(case_id: &str) -> String {
    let slug: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let budget = 60 - "fgc-".len() - 1 - 8;
    let slug: String = slug.chars().take(budget).collect();
    format!("fgc-{slug}-{}", &unique[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_are_valid_and_unique() {
        let long = "area::".to_owned() + &"very-long-case-name-".repeat(10);
        for id in ["handler::callback-echo", &long, "a::b"] {
            let name = function_name(id);
            assert!(name.len() <= 60, "{name}");
            assert!(name.starts_with("fgc-"));
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}"
            );
            assert!(name.chars().last().unwrap().is_ascii_alphanumeric());
            assert_ne!(name, function_name(id));
        }
    }
}
