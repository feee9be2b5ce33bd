//! CreateFunction's validation: each field against FunctionGraph's rules, each failure with its
//! own `FSS.xxxx` code (PROTOCOL.md §1), and the fields that survive in another shape.

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};

use crate::{error::FssError, messages::CreateFunctionRequest, node};

/// FunctionGraph's zip upload limit (FSS.1071, 50 MB).
const MAX_ZIP_BYTES: usize = 50 * 1024 * 1024;
/// `user_data` limits: FSS.1017 and FSS.1018. Sources disagree on the size: the error-code
/// table says 2 KB, CreateFunction's field description says 4 KB and the Notes and
/// Constraints table "4,096 characters"; the last is the most specific, so it is ours.
/// None says what is measured; fgref counts the characters of the `user_data` string.
const MAX_USER_DATA_ENTRIES: usize = 20;
const MAX_USER_DATA_CHARS: usize = 4096;

const MEMORY_SIZES: &[u32] = &[
    128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
];
const TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 3..=259_200;
const INITIALIZER_TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=300;
const PRE_STOP_TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=90;
/// "You can add a maximum of 20 dependencies for a function"
/// (https://support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_2119.html).
const MAX_DEPENDENCIES: usize = 20;

/// The parts of a CreateFunction request that survive validation in another shape.
#[derive(Debug)]
pub(super) struct ValidFunction {
    pub description: String,
    pub function_type: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub initializer_handler: String,
    pub initializer_timeout: u32,
    pub user_data: Vec<(String, String)>,
    pub zip: Vec<u8>,
    /// Version ids, in the order their files go into the code root; whether each exists is
    /// the dependency store's to say.
    pub depend_version_list: Vec<String>,
    pub max_instance_num: i64,
}

/// "Max. Instances per Function": −1 (unlimited) or 1–1000, default 400 (OTC, configuring
/// concurrency); 0 disables the function (UpdateFunctionMaxInstanceConfig).
pub(crate) const DEFAULT_MAX_INSTANCES: i64 = 400;
const MAX_INSTANCES_RANGE: std::ops::RangeInclusive<i64> = -1..=1000;

pub(super) fn validate(request: &CreateFunctionRequest) -> Result<ValidFunction, FssError> {
    check_func_name(&request.func_name)?;
    check_package(&request.package)?;
    if node::release_of(&request.runtime).is_none() {
        return Err(FssError::InvalidRuntime(format!(
            "runtime {:?} is not supported; fgref serves {}",
            request.runtime,
            node::runtime_ids()
        )));
    }
    if !is_handler(&request.handler) {
        return Err(FssError::InvalidHandler(format!(
            "handler {:?} is invalid; use [file].[function] with 3–128 characters, e.g. index.handler",
            request.handler
        )));
    }
    let memory_size = u32::try_from(request.memory_size)
        .ok()
        .filter(|m| MEMORY_SIZES.contains(m))
        .ok_or_else(|| {
            FssError::InvalidMemory(format!(
                "memory_size {} is invalid; use one of {MEMORY_SIZES:?} (MB)",
                request.memory_size
            ))
        })?;
    if !TIMEOUT_RANGE.contains(&request.timeout) {
        return Err(FssError::InvalidTimeout(format!(
            "timeout {} is invalid; use {}–{} seconds",
            request.timeout,
            TIMEOUT_RANGE.start(),
            TIMEOUT_RANGE.end()
        )));
    }
    if request.code_type != "zip" {
        return Err(FssError::InvalidCodeType(format!(
            "code_type {:?} is not supported; fgref takes \"zip\" with func_code.file",
            request.code_type
        )));
    }
    let file = request
        .func_code
        .as_ref()
        .and_then(|c| c.file.as_deref())
        .ok_or_else(|| {
            FssError::MissingCode("func_code.file is missing; send the zip as base64".to_owned())
        })?;
    let file = file.trim();
    // Checked on the text before decoding, so an oversized package costs no second copy.
    if file.len() > base64_len(MAX_ZIP_BYTES) {
        return Err(FssError::PackageTooLarge(format!(
            "func_code.file is {} base64 characters, more than the {} that FunctionGraph's {MAX_ZIP_BYTES}-byte (50 MB) package limit allows; make the package smaller",
            file.len(),
            base64_len(MAX_ZIP_BYTES)
        )));
    }
    let zip = BASE64
        .decode(file)
        .map_err(|e| FssError::InvalidCode(format!("func_code.file is not valid base64: {e}")))?;
    if zip.len() > MAX_ZIP_BYTES {
        return Err(FssError::PackageTooLarge(format!(
            "the zip is {} bytes, more than FunctionGraph's {MAX_ZIP_BYTES}-byte (50 MB) package limit; make the package smaller",
            zip.len()
        )));
    }
    let user_data = parse_user_data(request.user_data.as_deref().unwrap_or(""))?;
    let description =
        super::validate_dependency::check_description(request.description.as_deref())?;
    // The same limits as user_data ("a maximum of 20 such parameters, 4 KB"); fgref keeps none
    // of it, having nothing to decrypt it with.
    parse_user_data(request.encrypted_user_data.as_deref().unwrap_or(""))?;
    check_pre_stop(request)?;
    let (initializer_handler, initializer_timeout) = check_initializer(request)?;
    let depend_version_list = check_depend_version_list(request)?;
    let max_instance_num =
        check_max_instance_num(request.max_instance_num.unwrap_or(DEFAULT_MAX_INSTANCES))?;
    // CreateFunction's type: "v1" in its text, "v2" in its Default line (CONTRADICTIONS.md #41);
    // fgref takes the Default line, v2 being "the official version" of the answer's table.
    let function_type = match request.function_type.as_deref() {
        None => "v2".to_owned(),
        Some(t @ ("v1" | "v2")) => t.to_owned(),
        Some(other) => {
            return Err(FssError::BadRequest(format!(
                "type {other:?} is invalid; use \"v1\" or \"v2\" (v2 when absent)"
            )));
        }
    };
    Ok(ValidFunction {
        description,
        function_type,
        max_instance_num,
        memory_size,
        timeout: request.timeout as u32,
        initializer_handler,
        initializer_timeout,
        user_data,
        zip,
        depend_version_list,
    })
}

/// `pre_stop_handler` "must contain a period (.) in the format of xx.xx", `pre_stop_timeout`
/// 1–90 s; else 400 `FSS.0400` (**fgref**: no source names a code for either). fgref runs no
/// pre-stop handler: it stops instances without one.
fn check_pre_stop(request: &CreateFunctionRequest) -> Result<(), FssError> {
    if let Some(handler) = &request.pre_stop_handler
        && !is_handler(handler)
    {
        return Err(FssError::BadRequest(format!(
            "pre_stop_handler {handler:?} is invalid; use [file].[function], e.g. index.preStop"
        )));
    }
    if let Some(timeout) = request.pre_stop_timeout
        && !PRE_STOP_TIMEOUT_RANGE.contains(&timeout)
    {
        return Err(FssError::BadRequest(format!(
            "pre_stop_timeout {timeout} is invalid; use 1–90 seconds"
        )));
    }
    Ok(())
}

/// The length of the padded base64 text of `bytes` bytes: the longest text that can decode to at
/// most `bytes` bytes.
pub(super) const fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

/// -1 (unlimited), 0 (disabled) or 1–1000; else 400 `FSS.0400` (**fgref**: no source names a
/// code for this field).
pub(super) fn check_max_instance_num(value: i64) -> Result<i64, FssError> {
    if MAX_INSTANCES_RANGE.contains(&value) {
        return Ok(value);
    }
    Err(FssError::BadRequest(format!(
        "max_instance_num {value} is invalid; use -1 (unlimited), 0 (disabled) or 1–1000"
    )))
}

fn check_depend_version_list(request: &CreateFunctionRequest) -> Result<Vec<String>, FssError> {
    let ids = request.depend_version_list.clone().unwrap_or_default();
    if ids.len() > MAX_DEPENDENCIES {
        // FSS.1045: "The number of dependencies exceeds the maximum allowed limit."
        return Err(FssError::TooManyDependencies(format!(
            "depend_version_list names {} dependency versions, more than the {MAX_DEPENDENCIES} a function may have",
            ids.len()
        )));
    }
    // No source says what a repeated id does; laying the same files twice means nothing, so
    // fgref refuses it rather than guess.
    if let Some((index, id)) = ids
        .iter()
        .enumerate()
        .find(|(index, id)| ids[..*index].contains(id))
    {
        return Err(FssError::InvalidDependency(format!(
            "depend_version_list names {id:?} twice (again at index {index}); name each version once"
        )));
    }
    Ok(ids)
}

fn check_func_name(name: &str) -> Result<(), FssError> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let first_ok = name.starts_with(|c: char| c.is_ascii_alphabetic());
    let last_ok = name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if (1..=60).contains(&name.len()) && chars_ok && first_ok && last_ok {
        Ok(())
    } else {
        Err(FssError::InvalidName(format!(
            "func_name {name:?} is invalid; use 1–60 letters, digits, '-' or '_', starting with a letter and ending with a letter or digit"
        )))
    }
}

fn check_package(package: &str) -> Result<(), FssError> {
    let chars_ok = package
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if (1..=64).contains(&package.len()) && chars_ok {
        Ok(())
    } else {
        Err(FssError::InvalidPackage(format!(
            "package {package:?} is invalid; use 1–64 letters, digits, '-', '_' or '.', e.g. default"
        )))
    }
}

/// `[file].[function]`, 3–128 characters; the file part may contain a directory.
fn is_handler(handler: &str) -> bool {
    (3..=128).contains(&handler.len())
        && handler
            .rsplit_once('.')
            .is_some_and(|(file, function)| !file.is_empty() && !function.is_empty())
}

fn check_initializer(request: &CreateFunctionRequest) -> Result<(String, u32), FssError> {
    let handler = request.initializer_handler.as_deref().unwrap_or("");
    let timeout = request.initializer_timeout;
    if handler.is_empty() {
        // Without an initializer a timeout means nothing, but a nonsensical one is still refused.
        return match timeout {
            None | Some(0) => Ok((String::new(), 0)),
            Some(t) if INITIALIZER_TIMEOUT_RANGE.contains(&t) => Ok((String::new(), t as u32)),
            Some(t) => Err(bad_initializer_timeout(t)),
        };
    }
    if !is_handler(handler) {
        return Err(FssError::InvalidInitializer(format!(
            "initializer_handler {handler:?} is invalid; use [file].[function], e.g. index.initializer"
        )));
    }
    match timeout {
        Some(t) if INITIALIZER_TIMEOUT_RANGE.contains(&t) => Ok((handler.to_owned(), t as u32)),
        Some(t) => Err(bad_initializer_timeout(t)),
        None => Err(FssError::InvalidInitializerTimeout(
            "initializer_timeout is missing; it is required with initializer_handler (1–300 seconds)"
                .to_owned(),
        )),
    }
}

fn bad_initializer_timeout(timeout: i64) -> FssError {
    FssError::InvalidInitializerTimeout(format!(
        "initializer_timeout {timeout} is invalid; use {}–{} seconds",
        INITIALIZER_TIMEOUT_RANGE.start(),
        INITIALIZER_TIMEOUT_RANGE.end()
    ))
}

/// `user_data`: a JSON object whose values are strings; each key becomes an environment
/// variable, so it must be a name the environment can hold.
fn parse_user_data(text: &str) -> Result<Vec<(String, String)>, FssError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let chars = text.chars().count();
    if chars > MAX_USER_DATA_CHARS {
        return Err(FssError::UserDataTooLarge(format!(
            "user_data is {chars} characters long, more than the {MAX_USER_DATA_CHARS} FunctionGraph allows; shorten the values"
        )));
    }
    let bad = |why: String| {
        FssError::InvalidUserData(format!(
            "user_data is invalid: {why}; send JSON object text with string values, e.g. {{\"GREETING\":\"hello\"}}"
        ))
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if object.len() > MAX_USER_DATA_ENTRIES {
        return Err(FssError::TooManyUserData(format!(
            "user_data has {} entries, more than the {MAX_USER_DATA_ENTRIES} FunctionGraph allows; merge some values",
            object.len()
        )));
    }
    object
        .into_iter()
        .map(|(key, value)| {
            let serde_json::Value::String(value) = value else {
                return Err(bad(format!("the value of {key:?} is not a string")));
            };
            if value.contains('\0') {
                return Err(bad(format!("the value of {key:?} holds a NUL")));
            }
            // "Keys can contain letters, digits, and underscores (_), and must start with a
            // letter" (configuring environment variables).
            let well_formed = key.starts_with(|c: char| c.is_ascii_alphabetic())
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !well_formed {
                return Err(bad(format!(
                    "the key {key:?} is not letters, digits and underscores starting with a letter"
                )));
            }
            Ok((key, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::FuncCode;

    fn request() -> CreateFunctionRequest {
        serde_json::from_value(serde_json::json!({
            "func_name": "hello-world_1",
            "package": "default",
            "runtime": "Node.js20.15",
            "handler": "index.handler",
            "memory_size": 128,
            "timeout": 3,
            "code_type": "zip",
            "func_code": {"file": BASE64.encode(b"zip bytes")},
        }))
        .unwrap()
    }

    fn code_of(request: &CreateFunctionRequest) -> &'static str {
        validate(request).unwrap_err().status_and_code().1
    }

    #[test]
    fn a_good_request_validates() {
        let valid = validate(&request()).unwrap();
        assert_eq!(valid.memory_size, 128);
        assert_eq!(valid.zip, b"zip bytes");
        assert!(valid.user_data.is_empty());
    }

    #[test]
    fn each_bad_field_gets_its_code() {
        type Spoil = fn(&mut CreateFunctionRequest);
        let cases: Vec<(Spoil, &str)> = vec![
            (|r| r.func_name = "1abc".into(), "FSS.1002"),
            (|r| r.func_name = "abc-".into(), "FSS.1002"),
            (|r| r.func_name = "a".repeat(61), "FSS.1002"),
            (|r| r.package = String::new(), "FSS.1004"),
            (|r| r.runtime = "Python3.9".into(), "FSS.1005"),
            (|r| r.handler = "index".into(), "FSS.1003"),
            (|r| r.handler = ".h".into(), "FSS.1003"),
            (|r| r.handler = format!("{}.h", "a".repeat(127)), "FSS.1003"),
            (|r| r.memory_size = 100, "FSS.1007"),
            (|r| r.timeout = 2, "FSS.1008"),
            (|r| r.timeout = 259_201, "FSS.1008"),
            (|r| r.code_type = "inline".into(), "FSS.1006"),
            (|r| r.description = Some("d".repeat(513)), "FSS.1019"),
            (|r| r.pre_stop_handler = Some("index".into()), "FSS.0400"),
            (|r| r.pre_stop_timeout = Some(91), "FSS.0400"),
            (
                |r| r.encrypted_user_data = Some(user_data_of(21, 1)),
                "FSS.1017",
            ),
            (|r| r.func_code = None, "FSS.1012"),
            (
                |r| {
                    r.func_code = Some(FuncCode {
                        file: Some("%%%".into()),
                    })
                },
                "FSS.1011",
            ),
            (
                |r| {
                    r.func_code = Some(FuncCode {
                        file: Some(BASE64.encode(vec![0; MAX_ZIP_BYTES + 1])),
                    })
                },
                "FSS.1071",
            ),
            (
                // Too long to be a 50 MB zip: refused by its length, before decoding.
                |r| {
                    r.func_code = Some(FuncCode {
                        file: Some("%".repeat(base64_len(MAX_ZIP_BYTES) + 1)),
                    })
                },
                "FSS.1071",
            ),
            (|r| r.max_instance_num = Some(1001), "FSS.0400"),
            (|r| r.max_instance_num = Some(-2), "FSS.0400"),
            (|r| r.user_data = Some("[1]".into()), "FSS.1009"),
            (|r| r.user_data = Some(r#"{"A":1}"#.into()), "FSS.1009"),
            (|r| r.user_data = Some(r#"{"1A":"v"}"#.into()), "FSS.1009"),
            (|r| r.user_data = Some(r#"{"A-B":"v"}"#.into()), "FSS.1009"),
            (|r| r.user_data = Some(user_data_of(21, 1)), "FSS.1017"),
            (|r| r.user_data = Some(user_data_of(2, 3000)), "FSS.1018"),
            (|r| r.initializer_handler = Some("init".into()), "FSS.1404"),
            (
                |r| r.initializer_handler = Some("index.init".into()),
                "FSS.1405",
            ),
            (
                |r| {
                    r.initializer_handler = Some("index.init".into());
                    r.initializer_timeout = Some(301);
                },
                "FSS.1405",
            ),
            (
                |r| r.depend_version_list = Some(ids_of(MAX_DEPENDENCIES + 1)),
                "FSS.1045",
            ),
            (
                |r| r.depend_version_list = Some(vec!["a".into(), "b".into(), "a".into()]),
                "FSS.1024",
            ),
        ];
        for (index, (spoil, code)) in cases.into_iter().enumerate() {
            let mut r = request();
            spoil(&mut r);
            assert_eq!(code_of(&r), code, "case {index}: {r:?}");
        }
    }

    fn ids_of(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("id{i}")).collect()
    }

    #[test]
    fn depend_version_list_keeps_its_order_up_to_the_limit() {
        let mut r = request();
        assert!(validate(&r).unwrap().depend_version_list.is_empty());
        r.depend_version_list = Some(ids_of(MAX_DEPENDENCIES).into_iter().rev().collect());
        let ids = validate(&r).unwrap().depend_version_list;
        assert_eq!(ids.len(), MAX_DEPENDENCIES);
        assert_eq!(ids[0], format!("id{}", MAX_DEPENDENCIES - 1));
    }

    /// `entries` keys K0.., each with a value of `value_len` characters.
    fn user_data_of(entries: usize, value_len: usize) -> String {
        let object: serde_json::Map<String, serde_json::Value> = (0..entries)
            .map(|i| (format!("K{i}"), "v".repeat(value_len).into()))
            .collect();
        serde_json::Value::Object(object).to_string()
    }

    #[test]
    fn user_data_limits_are_inclusive() {
        assert_eq!(parse_user_data(&user_data_of(20, 1)).unwrap().len(), 20);
        // {"K0":"vvv…"}: 9 characters of framing around the value.
        let exactly = user_data_of(1, MAX_USER_DATA_CHARS - 9);
        assert_eq!(exactly.chars().count(), MAX_USER_DATA_CHARS);
        assert!(parse_user_data(&exactly).is_ok());
        let over = user_data_of(1, MAX_USER_DATA_CHARS - 8);
        assert_eq!(
            parse_user_data(&over).unwrap_err().status_and_code().1,
            "FSS.1018"
        );
        // Characters, not bytes: 4096 two-byte characters still fit.
        let wide = format!("{{\"K\":\"{}\"}}", "é".repeat(MAX_USER_DATA_CHARS - 8));
        assert!(parse_user_data(&wide).is_ok());
    }

    #[test]
    fn handlers_may_live_in_directories() {
        assert!(is_handler("src/index.handler"));
        assert!(is_handler("a.b"));
        assert!(!is_handler("ab"));
        assert!(!is_handler("index."));
    }

    #[test]
    fn user_data_becomes_pairs() {
        let mut pairs = parse_user_data(r#"{"GREETING":"hello","B":""}"#).unwrap();
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                ("B".to_owned(), String::new()),
                ("GREETING".to_owned(), "hello".to_owned())
            ]
        );
        assert!(parse_user_data(r#"{"A=B":"x"}"#).is_err());
        assert!(parse_user_data("").unwrap().is_empty());
    }
}
