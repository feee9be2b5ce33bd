//! CreateDependencyVersion's validation: each field against FunctionGraph's rules
//! (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_0152.html),
//! each failure with its `FSS.xxxx` code (PROTOCOL.md §6). The zip's entries are checked
//! apart, off the async workers.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};

use crate::{error::FssError, messages::CreateDependencyVersionRequest, node};

/// "The size of the ZIP file cannot exceed 40 MB" (CreateDependencyVersion, `depend_file`).
pub(super) const MAX_DEPENDENCY_ZIP_BYTES: usize = 40 * 1024 * 1024;
/// `name`: "a maximum of 96 characters" (CreateDependencyVersion).
const MAX_NAME_CHARS: usize = 96;
/// `description`: "a maximum of 512 characters" (CreateDependencyVersion); FSS.1019's own
/// description says the same.
const MAX_DESCRIPTION_CHARS: usize = 512;

/// A function's or a dependency's `description`: at most 512 characters (FSS.1019); absent is
/// empty.
pub(super) fn check_description(description: Option<&str>) -> Result<String, FssError> {
    let description = description.unwrap_or_default();
    let chars = description.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(FssError::DescriptionTooLong(format!(
            "description is {chars} characters long, more than the {MAX_DESCRIPTION_CHARS} FunctionGraph allows"
        )));
    }
    Ok(description.to_owned())
}

/// The parts of a CreateDependencyVersion request that survive validation in another shape.
#[derive(Debug)]
pub(super) struct ValidDependency {
    pub zip: Vec<u8>,
    pub description: String,
}

pub(super) fn validate_dependency(
    request: &CreateDependencyVersionRequest,
) -> Result<ValidDependency, FssError> {
    match request.depend_type.as_str() {
        "zip" => {}
        // FunctionGraph takes OBS links too; fgref has no OBS to fetch them from.
        "obs" => {
            return Err(FssError::InvalidDependencyType(
                "depend_type \"obs\" is not supported: fgref has no OBS to fetch depend_link from; send depend_type \"zip\" with the zip in depend_file (base64)".to_owned(),
            ));
        }
        other => {
            return Err(FssError::InvalidDependencyType(format!(
                "depend_type {other:?} is invalid; use \"zip\" with depend_file (FunctionGraph also knows \"obs\", which fgref cannot fetch)"
            )));
        }
    }
    check_name(&request.name)?;
    if node::release_of(&request.runtime).is_none() {
        return Err(FssError::InvalidRuntime(format!(
            "runtime {:?} is not supported; fgref serves {}",
            request.runtime,
            node::runtime_ids()
        )));
    }
    let description = check_description(request.description.as_deref())?;
    let file = request.depend_file.as_deref().ok_or_else(|| {
        FssError::InvalidDependency(
            "depend_file is missing; it is required with depend_type \"zip\": send the zip as base64"
                .to_owned(),
        )
    })?;
    let file = file.trim();
    if file.len() > super::validate::base64_len(MAX_DEPENDENCY_ZIP_BYTES) {
        return Err(FssError::TooLarge(format!(
            "depend_file is {} base64 characters, more than the {MAX_DEPENDENCY_ZIP_BYTES}-byte (40 MB) limit allows; make the dependency smaller",
            file.len()
        )));
    }
    let zip = BASE64.decode(file).map_err(|e| {
        FssError::InvalidDependency(format!("depend_file is not valid base64: {e}"))
    })?;
    if zip.len() > MAX_DEPENDENCY_ZIP_BYTES {
        return Err(FssError::TooLarge(format!(
            "the zip is {} bytes, more than FunctionGraph's {MAX_DEPENDENCY_ZIP_BYTES}-byte (40 MB) limit for depend_file; make the dependency smaller",
            zip.len()
        )));
    }
    Ok(ValidDependency { zip, description })
}

/// No file of a dependency may end with `~` (Configuring Dependency Packages, Overview: notes);
/// run on a zip [`crate::unpack::check`] has passed.
pub(super) fn check_file_names(zip: &[u8]) -> Result<(), FssError> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| FssError::InvalidDependency(format!("depend_file: not a valid zip: {e}")))?;
    match archive
        .file_names()
        .filter_map(Result::ok)
        .find(|name| name.trim_end_matches('/').ends_with('~'))
    {
        Some(name) => Err(FssError::InvalidDependency(format!(
            "depend_file holds {name:?}: a dependency may hold no file whose name ends with '~'; remove it (editors leave such backups)"
        ))),
        None => Ok(()),
    }
}

/// Letters, digits, `_`, `.` and `-`, at most 96, starting with a letter and ending with a
/// letter or digit.
fn check_name(name: &str) -> Result<(), FssError> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let first_ok = name.starts_with(|c: char| c.is_ascii_alphabetic());
    let last_ok = name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if name.len() <= MAX_NAME_CHARS && chars_ok && first_ok && last_ok {
        Ok(())
    } else {
        Err(FssError::InvalidDependency(format!(
            "name {name:?} is invalid; use 1–{MAX_NAME_CHARS} letters, digits, '_', '.' or '-', starting with a letter and ending with a letter or digit"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateDependencyVersionRequest {
        serde_json::from_value(serde_json::json!({
            "depend_type": "zip",
            "depend_file": BASE64.encode(b"zip bytes"),
            "runtime": "Node.js20.15",
            "name": "my.dep_1-x",
        }))
        .unwrap()
    }

    #[test]
    fn a_good_request_validates() {
        let valid = validate_dependency(&request()).unwrap();
        assert_eq!(valid.zip, b"zip bytes");
        assert_eq!(valid.description, "");
        let mut r = request();
        r.name = "a".repeat(MAX_NAME_CHARS);
        r.description = Some("é".repeat(MAX_DESCRIPTION_CHARS));
        assert!(validate_dependency(&r).is_ok());
    }

    #[test]
    fn each_bad_field_gets_its_code() {
        type Spoil = fn(&mut CreateDependencyVersionRequest);
        let cases: Vec<(Spoil, &str)> = vec![
            (|r| r.depend_type = "obs".into(), "FSS.1032"),
            (|r| r.depend_type = "jar".into(), "FSS.1032"),
            (|r| r.name = String::new(), "FSS.1024"),
            (|r| r.name = "1dep".into(), "FSS.1024"),
            (|r| r.name = "dep-".into(), "FSS.1024"),
            (|r| r.name = "de p".into(), "FSS.1024"),
            (|r| r.name = "a".repeat(MAX_NAME_CHARS + 1), "FSS.1024"),
            (|r| r.runtime = "Python3.9".into(), "FSS.1005"),
            (
                |r| r.description = Some("d".repeat(MAX_DESCRIPTION_CHARS + 1)),
                "FSS.1019",
            ),
            (|r| r.depend_file = None, "FSS.1024"),
            (|r| r.depend_file = Some("%%%".into()), "FSS.1024"),
            (
                |r| r.depend_file = Some(BASE64.encode(vec![0; MAX_DEPENDENCY_ZIP_BYTES + 1])),
                "FSS.0413",
            ),
        ];
        for (index, (spoil, code)) in cases.into_iter().enumerate() {
            let mut r = request();
            spoil(&mut r);
            let err = validate_dependency(&r).unwrap_err();
            assert_eq!(err.status_and_code().1, code, "case {index}: {r:?}: {err}");
        }
    }

    #[test]
    fn obs_is_refused_because_fgref_has_no_obs() {
        let mut r = request();
        r.depend_type = "obs".into();
        r.depend_file = None;
        let message = validate_dependency(&r).unwrap_err().to_string();
        assert!(message.contains("no OBS"), "{message}");
    }
}
