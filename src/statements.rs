//! The statement registry (`statements/*.toml` of a corpus): every observable statement of the
//! sources, listed once with a stable id, its level and where it is said, for cases to cite.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::case::{Case, CaseError, Level, line_of};

/// The registry's folder below the corpus root.
pub const FOLDER: &str = "statements";

/// One statement of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `<topic>.<key>`: the file's stem and the statement's table.
    pub id: String,
    /// The statement in the project's own words.
    pub says: String,
    pub level: Level,
    /// The page or file (a URL) that says it.
    pub source: String,
    /// Where in the source.
    pub section: String,
    pub edition: Option<String>,
    /// The CONTRADICTIONS.md entry this statement is one side of.
    pub contradiction: Option<u32>,
    /// Why no case checks it, when the registry excuses it.
    pub excuse: Option<Excuse>,
}

/// Why no case checks a statement, each kind with its one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Excuse {
    /// No case can observe it from outside (`unobservable`).
    Unobservable(String),
    /// Observing it takes what the suite does not deploy, drive or wait for: another service
    /// (APIG, triggers, IAM agencies, the console), another kind of function (HTTP functions,
    /// custom images), an account-wide quota a run must not exhaust, or hours (`out_of_scope`).
    OutOfScope(String),
    /// The side of a contradiction the corpus decided against (a superseded edition, a slip of
    /// typesetting), as CONTRADICTIONS.md says (`set_aside`).
    SetAside(String),
}

impl Excuse {
    /// The registry key that gives it, as `fgconform statements` names it.
    pub fn key(&self) -> &'static str {
        match self {
            Excuse::Unobservable(_) => "unobservable",
            Excuse::OutOfScope(_) => "out_of_scope",
            Excuse::SetAside(_) => "set_aside",
        }
    }

    pub fn why(&self) -> &str {
        match self {
            Excuse::Unobservable(why) | Excuse::OutOfScope(why) | Excuse::SetAside(why) => why,
        }
    }
}

impl Statement {
    /// Why no case checks the statement, when it is excused from being checked.
    pub fn excuse(&self) -> Option<&str> {
        self.excuse.as_ref().map(Excuse::why)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementFile {
    says: String,
    level: Level,
    source: String,
    section: String,
    edition: Option<String>,
    contradiction: Option<u32>,
    unobservable: Option<String>,
    out_of_scope: Option<String>,
    set_aside: Option<String>,
}

/// Every statement of a corpus, by id.
#[derive(Debug, Default)]
pub struct Registry {
    statements: BTreeMap<String, Statement>,
}

impl Registry {
    /// The registry of the corpus at `root`; `None` when the corpus has no `statements/` folder
    /// (a corpus of one's own need not have one; its cases then cite no statements).
    pub fn load(root: &Path) -> Result<Option<Registry>, CaseError> {
        let folder = root.join(FOLDER);
        if !folder.is_dir() {
            return Ok(None);
        }
        let read_error = |path: &Path| {
            let path = path.to_owned();
            move |source| CaseError::Read { file: path, source }
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&folder).map_err(read_error(&folder))? {
            let path = entry.map_err(read_error(&folder))?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                files.push(path);
            }
        }
        files.sort();
        let mut registry = Registry::default();
        for file in files {
            // As a case's files are read: a regular file of bounded size, UTF-8.
            let text = crate::case::read(&file)?;
            registry.add_file(&file, &text)?;
        }
        Ok(Some(registry))
    }

    fn add_file(&mut self, file: &Path, text: &str) -> Result<(), CaseError> {
        let topic = file
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let invalid =
            |span: std::ops::Range<usize>, key: &str, message: String| CaseError::Invalid {
                file: file.to_owned(),
                line: line_of(text, span.start),
                key: key.to_owned(),
                message,
            };
        if !is_kebab(&topic) {
            return Err(invalid(
                0..0,
                "(file name)",
                format!(
                    "`{topic}` is not a topic name: lowercase letters, digits and single hyphens"
                ),
            ));
        }
        let parsed: BTreeMap<Spanned<String>, Spanned<StatementFile>> = toml::from_str(text)
            .map_err(|e| CaseError::Toml {
                file: file.to_owned(),
                message: e.to_string(),
            })?;
        for (key, entry) in parsed {
            let span = key.span();
            let key = key.into_inner();
            if !is_kebab(&key) {
                return Err(invalid(
                    span,
                    &key,
                    "a statement's key is lowercase letters, digits and single hyphens".into(),
                ));
            }
            let entry = entry.into_inner();
            let blank = [("says", &entry.says), ("section", &entry.section)]
                .into_iter()
                .find(|(_, value)| value.trim().is_empty());
            if let Some((field, _)) = blank {
                return Err(invalid(
                    span,
                    &format!("{key}.{field}"),
                    format!("say the statement's `{field}`; it is empty"),
                ));
            }
            if !entry.source.starts_with("https://") {
                return Err(invalid(
                    span,
                    &format!("{key}.source"),
                    format!(
                        "`{}` is not a public https URL; name the page or the file at a fixed commit",
                        entry.source
                    ),
                ));
            }
            let mut excuses: Vec<Excuse> = [
                entry.unobservable.map(Excuse::Unobservable),
                entry.out_of_scope.map(Excuse::OutOfScope),
                entry.set_aside.map(Excuse::SetAside),
            ]
            .into_iter()
            .flatten()
            .collect();
            if let Some(blank) = excuses.iter().find(|excuse| excuse.why().trim().is_empty()) {
                return Err(invalid(
                    span,
                    &format!("{key}.{}", blank.key()),
                    "say why no case checks the statement, or leave the key out".into(),
                ));
            }
            if excuses.len() > 1 {
                return Err(invalid(
                    span,
                    &key,
                    "a statement is unobservable, out of scope or set aside, only one; keep the one that says why".into(),
                ));
            }
            let excuse = excuses.pop();
            if matches!(excuse, Some(Excuse::SetAside(_))) && entry.contradiction.is_none() {
                return Err(invalid(
                    span,
                    &format!("{key}.set_aside"),
                    "only a side of a contradiction is set aside: name its CONTRADICTIONS.md entry in `contradiction`".into(),
                ));
            }
            let id = format!("{topic}.{key}");
            self.statements.insert(
                id.clone(),
                Statement {
                    id,
                    says: entry.says,
                    level: entry.level,
                    source: entry.source,
                    section: entry.section,
                    edition: entry.edition,
                    contradiction: entry.contradiction,
                    excuse,
                },
            );
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Statement> {
        self.statements.get(id)
    }

    /// Every statement, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Statement> {
        self.statements.values()
    }

    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Why a case of `level` cannot cite the statement `id`, if it cannot: no such statement, a
    /// statement no case can observe, or one whose source is weaker than the case's level (a
    /// `documented` case checks only what documentation says).
    pub fn refuse_citation(&self, id: &str, level: Level) -> Option<String> {
        let Some(statement) = self.get(id) else {
            let topic = id.split('.').next().unwrap_or(id);
            return Some(format!(
                "`{id}` is not in the statement registry ({FOLDER}/{topic}.toml has no such key); \
                 cite a statement it lists, or add it there"
            ));
        };
        match &statement.excuse {
            Some(Excuse::Unobservable(_)) => {
                return Some(format!(
                    "`{id}` is registered as unobservable; a case that observes it should drop \
                     its `unobservable` line instead"
                ));
            }
            Some(Excuse::OutOfScope(_)) => {
                return Some(format!(
                    "`{id}` is registered as out of scope; a case that checks it should drop its \
                     `out_of_scope` line instead"
                ));
            }
            Some(Excuse::SetAside(_)) => {
                return Some(format!(
                    "`{id}` is set aside: CONTRADICTIONS.md decides against it; a case checking \
                     it contradicts the corpus"
                ));
            }
            None => {}
        }
        (statement.level > level).then(|| {
            format!(
                "`{id}` is an {} statement, and a {level} case checks only statements of its level \
                 or a stronger one (documented < observed < implementation); cite a {level} \
                 statement or change the case's level",
                statement.level
            )
        })
    }
}

/// Whether `case` cites as a case of a corpus with `registry` (or with none) must: with a
/// registry, at least one statement, each one [`Registry::refuse_citation`] lets it cite;
/// without one, none, since there is nothing to check the ids against. The error names
/// `case.toml`, the key and the line.
pub fn check_citations(case: &Case, registry: Option<&Registry>) -> Result<(), CaseError> {
    let invalid = |line: usize, message: String| CaseError::Invalid {
        file: case.dir.join("case.toml"),
        line,
        key: "statements".into(),
        message,
    };
    let cited = &case.statements;
    let Some(registry) = registry else {
        if !cited.given {
            return Ok(());
        }
        return Err(invalid(
            cited.line,
            format!(
                "the corpus has no `{FOLDER}/` registry to check these ids against; add one or drop the key"
            ),
        ));
    };
    if cited.ids.is_empty() {
        return Err(invalid(
            cited.line,
            format!(
                "name the statements this case checks: `statements = [\"<topic>.<key>\"]`, ids of `{FOLDER}/*.toml` (`fgconform statements` lists them)"
            ),
        ));
    }
    for (line, id) in &cited.ids {
        if let Some(why) = registry.refuse_citation(id, case.level) {
            return Err(invalid(*line, why));
        }
    }
    Ok(())
}

/// `lower-kebab-case`: what a topic and a statement's key are made of.
fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "[callback-fails]\nsays = \"A callback error fails the call.\"\n\
        level = \"documented\"\nsource = \"https://example.com/page\"\nsection = \"Callback\"\n";

    fn registry(files: &[(&str, &str)]) -> Result<Option<Registry>, CaseError> {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(FOLDER)).unwrap();
        for (name, text) in files {
            std::fs::write(root.path().join(FOLDER).join(name), text).unwrap();
        }
        Registry::load(root.path())
    }

    #[test]
    fn ids_are_the_topic_and_the_key() {
        let registry = registry(&[("handler.toml", ONE)]).unwrap().unwrap();
        let statement = registry.get("handler.callback-fails").unwrap();
        assert_eq!(statement.level, Level::Documented);
        assert_eq!(statement.section, "Callback");
        assert_eq!(registry.len(), 1);
    }

    #[test]
    fn a_corpus_without_the_folder_has_no_registry() {
        let root = tempfile::tempdir().unwrap();
        assert!(Registry::load(root.path()).unwrap().is_none());
    }

    #[test]
    fn a_bad_statement_names_the_file_the_key_and_the_line() {
        let cases = [
            (format!("{ONE}colour = \"red\"\n"), "colour"),
            (
                ONE.replace("https://example.com/page", "../notes.md"),
                "source",
            ),
            (ONE.replace("\"Callback\"", "\" \""), "section"),
            (
                format!("\n\n{}", ONE.replace("callback-fails", "Callback_Fails")),
                "toml:3",
            ),
            (format!("{ONE}unobservable = \"\"\n"), "unobservable"),
            (format!("{ONE}set_aside = \"a slip\"\n"), "contradiction"),
            (
                format!("{ONE}contradiction = 1\nset_aside = \"a\"\nunobservable = \"b\"\n"),
                "only one",
            ),
            (format!("{ONE}out_of_scope = \" \"\n"), "out_of_scope"),
            (
                format!("{ONE}out_of_scope = \"APIG\"\nunobservable = \"b\"\n"),
                "only one",
            ),
            (ONE.replace("documented", "rumoured"), "rumoured"),
        ];
        for (text, needle) in cases {
            let error = registry(&[("handler.toml", &text)])
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("handler.toml") && error.contains(needle),
                "{needle}: {error}"
            );
        }
        let error = registry(&[("Handler.toml", ONE)]).unwrap_err().to_string();
        assert!(error.contains("topic name"), "{error}");
    }

    /// A corpus of one case whose `case.toml` ends with `statements`, and whose registry (when
    /// `with_registry`) holds a documented and an implementation statement.
    fn cite(statements: &str, with_registry: bool) -> Result<(), CaseError> {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("area/name");
        std::fs::create_dir_all(dir.join("code")).unwrap();
        std::fs::write(
            dir.join("case.toml"),
            format!("description = \"d\"\nspec = [\"https://example.com\"]\nlevel = \"documented\"\n{statements}"),
        )
        .unwrap();
        std::fs::write(dir.join("expected.json"), "{}").unwrap();
        let case = Case::load(root.path(), &dir).unwrap();
        if !with_registry {
            return check_citations(&case, None);
        }
        std::fs::create_dir(root.path().join(FOLDER)).unwrap();
        let implementation = ONE
            .replace("callback-fails", "message")
            .replace("documented", "implementation");
        std::fs::write(
            root.path().join(FOLDER).join("handler.toml"),
            format!("{ONE}\n{implementation}"),
        )
        .unwrap();
        let registry = Registry::load(root.path()).unwrap().unwrap();
        check_citations(&case, Some(&registry))
    }

    #[test]
    fn a_case_cites_statements_of_the_registry_at_its_level() {
        assert!(cite("statements = [\"handler.callback-fails\"]\n", true).is_ok());
        let refusals = [
            ("", "case.toml:3", "name the statements"),
            ("statements = []\n", "case.toml:4", "name the statements"),
            (
                "statements = [\n  \"handler.callback-fails\",\n  \"handler.nope\",\n]\n",
                "case.toml:6",
                "handler.nope",
            ),
            (
                "statements = [\"handler.message\"]\n",
                "case.toml:4",
                "implementation statement",
            ),
        ];
        for (statements, at, says) in refusals {
            let error = cite(statements, true).unwrap_err().to_string();
            assert!(
                error.contains(at) && error.contains("`statements`") && error.contains(says),
                "{statements:?}: {error}"
            );
        }
    }

    #[test]
    fn a_corpus_without_a_registry_cannot_check_citations() {
        let error = cite("statements = [\"handler.callback-fails\"]\n", false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("case.toml:4") && error.contains("no `statements/` registry"),
            "{error}"
        );
        assert!(cite("", false).is_ok());
    }

    #[test]
    fn a_case_cites_only_known_observable_statements_of_its_level_or_stronger() {
        let implementation = ONE
            .replace("callback-fails", "message-text")
            .replace("documented", "implementation");
        let unobservable = format!(
            "{}unobservable = \"each retry is a fresh instance\"\n",
            ONE.replace("callback-fails", "retries")
        );
        let out_of_scope = format!(
            "{}out_of_scope = \"APIG answers it, not the function\"\n",
            ONE.replace("callback-fails", "apig-status")
        );
        let text = format!("{ONE}\n{implementation}\n{unobservable}\n{out_of_scope}");
        let registry = registry(&[("handler.toml", &text)]).unwrap().unwrap();
        assert_eq!(
            registry.refuse_citation("handler.callback-fails", Level::Documented),
            None
        );
        assert_eq!(
            registry.refuse_citation("handler.message-text", Level::Implementation),
            None
        );
        let weaker = registry
            .refuse_citation("handler.message-text", Level::Documented)
            .unwrap();
        assert!(weaker.contains("implementation statement"), "{weaker}");
        let unknown = registry
            .refuse_citation("handler.nothing", Level::Observed)
            .unwrap();
        assert!(unknown.contains("statements/handler.toml"), "{unknown}");
        let retries = registry
            .refuse_citation("handler.retries", Level::Implementation)
            .unwrap();
        assert!(retries.contains("unobservable"), "{retries}");
        let apig = registry
            .refuse_citation("handler.apig-status", Level::Documented)
            .unwrap();
        assert!(apig.contains("out of scope"), "{apig}");
    }
}
