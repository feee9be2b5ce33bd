//! A function's code root laid out: its code, then its dependencies' zips in
//! `depend_version_list` order, into one directory, a dependency's file replacing the code's
//! (PROTOCOL.md §6), and the extension scripts that came from a dependency.

use std::{
    collections::HashMap,
    fs, io,
    path::{Path, PathBuf},
};

use crate::unpack::{self, Budget, Limits, UnpackError};

/// The folder of a dependency whose `extension*.sh` files start extensions: the zip "must
/// contain a folder named extension that contains an .sh script file prefixed with extension"
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_2705.html).
const EXTENSION_DIR: &str = "extension";

/// One dependency version to lay into a code root.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    /// The version id, for errors.
    pub id: String,
    /// Where its zip is kept.
    pub zip: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum CodeRootError {
    #[error("dependency version {id}: {source}")]
    Dependency { id: String, source: UnpackError },
    #[error("failed to read dependency version {id}: {source}")]
    Read { id: String, source: io::Error },
    #[error("func_code.file: {0}")]
    Code(UnpackError),
}

/// Unpacks `code`, then `dependencies` in order, into `root` within one [`Limits`] budget; a
/// later file replaces an earlier one, so every dependency wins over the code (as the OTC
/// community guide to the Node.js runtime says) and a later dependency over an earlier one
/// (fgref's own choice). Returns the extension scripts (see [`extension_scripts`]). Blocking:
/// run it off the async workers.
pub(crate) fn lay_out(
    root: &Path,
    dependencies: &[Layer],
    code: &[u8],
) -> Result<Vec<PathBuf>, CodeRootError> {
    let mut budget = Budget::new(Limits::default());
    // Which layer wrote each file last: true for a dependency.
    let written = unpack::unpack_into(code, root, &mut budget).map_err(CodeRootError::Code)?;
    let mut from_dependency: HashMap<PathBuf, bool> =
        written.into_iter().map(|file| (file, false)).collect();
    for layer in dependencies {
        let zip = fs::read(&layer.zip).map_err(|source| CodeRootError::Read {
            id: layer.id.clone(),
            source,
        })?;
        let written = unpack::unpack_into(&zip, root, &mut budget).map_err(|source| {
            CodeRootError::Dependency {
                id: layer.id.clone(),
                source,
            }
        })?;
        from_dependency.extend(written.into_iter().map(|file| (file, true)));
    }
    Ok(extension_scripts(root, &from_dependency))
}

/// Every `extension/extension*.sh` whose file a dependency wrote last and that is still there
/// (a later dependency may have replaced its folder by a file), as absolute paths under
/// `root`, sorted by file name. The function's own code cannot start extensions: FunctionGraph
/// adds them to a function as dependencies
/// (https://support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_2704.html).
fn extension_scripts(root: &Path, from_dependency: &HashMap<PathBuf, bool>) -> Vec<PathBuf> {
    let mut scripts: Vec<PathBuf> = from_dependency
        .iter()
        .filter(|(file, by_dependency)| **by_dependency && is_extension_script(file))
        .map(|(file, _)| root.join(file))
        .filter(|path| fs::symlink_metadata(path).is_ok_and(|m| m.is_file()))
        .collect();
    scripts.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    scripts
}

/// `extension/<name>` directly in the folder, `<name>` starting with `extension` and ending
/// with `.sh`.
fn is_extension_script(relative: &Path) -> bool {
    let mut parts = relative.iter();
    let (Some(dir), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let name = name.to_string_lossy();
    dir == EXTENSION_DIR && name.starts_with("extension") && name.ends_with(".sh")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            let options = SimpleFileOptions::default();
            if let Some(dir) = name.strip_suffix('/') {
                writer.add_directory(dir, options).unwrap();
                continue;
            }
            writer.start_file(*name, options).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// Writes each zip as a dependency version file in `dir`.
    fn layers(dir: &Path, zips: &[Vec<u8>]) -> Vec<Layer> {
        zips.iter()
            .enumerate()
            .map(|(index, zip)| {
                let path = dir.join(format!("dep{index}.zip"));
                fs::write(&path, zip).unwrap();
                Layer {
                    id: format!("dep{index}"),
                    zip: path,
                }
            })
            .collect()
    }

    fn read(root: &Path, file: &str) -> String {
        fs::read_to_string(root.join(file)).unwrap()
    }

    #[test]
    fn dependencies_replace_the_code_and_later_dependencies_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("code");
        let deps = layers(
            dir.path(),
            &[
                zip_of(&[
                    ("shared.js", "dep0"),
                    ("over.js", "dep0"),
                    ("lib/a.js", "a"),
                    ("only0.js", "0"),
                    ("clash/x", "x"),
                    ("was_dir/y", "y"),
                ]),
                zip_of(&[
                    ("shared.js", "dep1"),
                    ("lib/b.js", "b"),
                    ("was_dir", "file"),
                ]),
            ],
        );
        let code = zip_of(&[
            ("index.js", "code"),
            ("shared.js", "code"),
            ("over.js", "code"),
            ("lib/c.js", "c"),
            ("clash", "the code's file"),
        ]);
        lay_out(&root, &deps, &code).unwrap();
        assert_eq!(
            read(&root, "shared.js"),
            "dep1",
            "the later dependency wins"
        );
        assert_eq!(
            read(&root, "over.js"),
            "dep0",
            "a dependency wins over the code"
        );
        assert_eq!(read(&root, "index.js"), "code");
        assert_eq!(read(&root, "lib/a.js"), "a");
        assert_eq!(read(&root, "lib/b.js"), "b");
        assert_eq!(read(&root, "lib/c.js"), "c", "directories merge");
        assert_eq!(read(&root, "only0.js"), "0");
        assert_eq!(read(&root, "clash/x"), "x", "a directory replaced a file");
        assert_eq!(
            read(&root, "was_dir"),
            "file",
            "a file replaced a directory"
        );
    }

    #[test]
    fn extension_scripts_come_from_dependencies_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("code");
        let deps = layers(
            dir.path(),
            &[
                zip_of(&[
                    ("extension/extensionB.sh", "b"),
                    ("extension/extension.sh", "bare"),
                    ("extension/other.sh", "not an extension"),
                    ("extension/extensionC.txt", "not a script"),
                    ("extension/nested/extensionD.sh", "too deep"),
                    ("extensionE.sh", "not in the folder"),
                    ("extension/extensionOverridden.sh", "the dependency's"),
                ]),
                zip_of(&[("extension/", ""), ("extension/extensionA.sh", "a")]),
            ],
        );
        let code = zip_of(&[
            ("index.js", "code"),
            ("extension/extensionCode.sh", "the code's own"),
            ("extension/extensionOverridden.sh", "the code's, replaced"),
        ]);
        let scripts = lay_out(&root, &deps, &code).unwrap();
        let names: Vec<_> = scripts
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "extension/extension.sh",
                "extension/extensionA.sh",
                "extension/extensionB.sh",
                "extension/extensionOverridden.sh"
            ]
        );
        assert_eq!(
            read(&root, "extension/extensionOverridden.sh"),
            "the dependency's"
        );
        assert_eq!(read(&root, "extension/extensionCode.sh"), "the code's own");
        assert!(scripts.iter().all(|p| p.is_absolute()), "{scripts:?}");
    }

    #[test]
    fn a_script_whose_folder_a_later_dependency_replaced_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("code");
        let deps = layers(
            dir.path(),
            &[
                zip_of(&[("extension/extensionA.sh", "a")]),
                zip_of(&[("extension", "a file now")]),
            ],
        );
        let code = zip_of(&[("index.js", "code")]);
        assert!(lay_out(&root, &deps, &code).unwrap().is_empty());
    }

    #[test]
    fn the_code_cannot_replace_a_dependency_s_script() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("code");
        let deps = layers(dir.path(), &[zip_of(&[("extension/extensionA.sh", "a")])]);
        let code = zip_of(&[("extension", "the code's file")]);
        let scripts = lay_out(&root, &deps, &code).unwrap();
        assert_eq!(scripts, [root.join("extension/extensionA.sh")]);
        assert_eq!(read(&root, "extension/extensionA.sh"), "a");
    }

    #[test]
    fn dependencies_and_code_share_one_budget_and_errors_name_their_layer() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..unpack::MAX_ENTRIES / 2 + 1)
            .map(|i| format!("f{i}"))
            .collect();
        let half: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        let deps = layers(dir.path(), &[zip_of(&half), zip_of(&half)]);
        let err = lay_out(&dir.path().join("code"), &deps, &zip_of(&[("i.js", "")])).unwrap_err();
        assert!(
            matches!(&err, CodeRootError::Dependency { id, source: UnpackError::TooManyEntries { .. } } if id == "dep1"),
            "{err}"
        );
        // The code comes first: its error, before any dependency is even read.
        let unreadable = Layer {
            id: "gone".into(),
            zip: dir.path().join("gone.zip"),
        };
        let err = lay_out(
            &dir.path().join("code2"),
            &[unreadable],
            &zip_of(&[("../up.js", "")]),
        )
        .unwrap_err();
        assert!(
            matches!(err, CodeRootError::Code(UnpackError::Escapes(_))),
            "{err}"
        );
        assert!(err.to_string().starts_with("func_code.file: "), "{err}");
    }

    #[test]
    fn the_extension_rule() {
        for yes in ["extension/extension.sh", "extension/extensionX.sh"] {
            assert!(is_extension_script(Path::new(yes)), "{yes}");
        }
        for no in [
            "extension/x.sh",
            "extension/extensionX.bash",
            "extension/a/extensionX.sh",
            "extensionX.sh",
            "Extension/extensionX.sh",
            "extension",
        ] {
            assert!(!is_extension_script(Path::new(no)), "{no}");
        }
    }
}
