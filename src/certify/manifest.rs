//! A certification bundle's layout: its file names, MANIFEST.toml (the sha256 of every other
//! file, the suite version, the corpus digest) and PRODUCT.toml (what the vendor fills in).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const REPORT_JSON: &str = "report.json";
pub const JUNIT_XML: &str = "junit.xml";
pub const REPORT_HTML: &str = "report.html";
pub const RUN_LOG: &str = "run.log";
pub const PRODUCT_TOML: &str = "PRODUCT.toml";
pub const MANIFEST_TOML: &str = "MANIFEST.toml";

/// Every file of a bundle that MANIFEST.toml hashes, in the order it lists them.
pub const HASHED: [&str; 5] = [REPORT_JSON, JUNIT_XML, REPORT_HTML, RUN_LOG, PRODUCT_TOML];

/// MANIFEST.toml's `format`.
pub const FORMAT: &str = "fgconform-certification/1";

/// MANIFEST.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The crate version of the fgconform that ran the suite.
    pub suite_version: String,
    /// `sha256:<hex>`, the corpus digest of the cases that ran (REPORT-FORMAT.md).
    pub corpus_digest: String,
    /// File name → lowercase hex sha256 of its bytes.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    /// The manifest of the files of `dir` named in [`HASHED`].
    pub fn of(dir: &Path, corpus_digest: String) -> std::io::Result<Manifest> {
        let mut files = BTreeMap::new();
        for name in HASHED {
            files.insert(name.to_owned(), sha256_file(&dir.join(name))?);
        }
        Ok(Manifest {
            format: FORMAT.to_owned(),
            suite_version: env!("CARGO_PKG_VERSION").to_owned(),
            corpus_digest,
            files,
        })
    }

    pub fn render(&self) -> String {
        let body = toml::to_string(self).expect("a manifest is plain TOML");
        format!(
            "# fgconform certification bundle: the sha256 of every other file, the suite version\n\
             # and the corpus digest. `fgconform verify DIR` checks it.\n{body}"
        )
    }
}

/// The lowercase hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// PRODUCT.toml's fields, Kubernetes' PRODUCT.yaml ones, each with what it holds.
pub const PRODUCT_FIELDS: [(&str, &str); 6] = [
    ("vendor", "the company or project that makes the product"),
    ("product", "the product's name"),
    ("version", "the product version this bundle certifies"),
    ("website", "the product's web page (URL)"),
    (
        "documentation",
        "where the product's documentation is (URL)",
    ),
    (
        "contact",
        "who answers for this certification (an e-mail address)",
    ),
];

/// PRODUCT.toml as `certify` writes it: every field empty, each with a comment.
pub fn product_template() -> String {
    let mut text = String::from(
        "# The product this bundle certifies. Fill in every field, then run\n\
         # `fgconform certify --rehash --out DIR` and `fgconform verify DIR`.\n",
    );
    for (name, about) in PRODUCT_FIELDS {
        text.push_str(&format!("\n# {about}\n{name} = \"\"\n"));
    }
    text
}

/// The PRODUCT.toml fields that are missing or empty, or why the text is not TOML.
pub fn product_problems(text: &str) -> Result<Vec<&'static str>, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(PRODUCT_FIELDS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            table
                .get(*name)
                .and_then(|v| v.as_str())
                .is_none_or(|v| v.trim().is_empty())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_lists_every_field_empty() {
        let missing = product_problems(&product_template()).unwrap();
        assert_eq!(missing, PRODUCT_FIELDS.map(|(name, _)| name));
        let filled = PRODUCT_FIELDS
            .map(|(name, _)| format!("{name} = \"x\"\n"))
            .concat();
        assert!(product_problems(&filled).unwrap().is_empty());
    }

    #[test]
    fn a_manifest_reads_back() {
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            suite_version: "1.2.3".to_owned(),
            corpus_digest: "sha256:00".to_owned(),
            files: BTreeMap::from([("run.log".to_owned(), "ab".to_owned())]),
        };
        let back: Manifest = toml::from_str(&manifest.render()).unwrap();
        assert_eq!(back, manifest);
    }
}
