//! Dependency versions (PROTOCOL.md §6): their ids and numbers, where their zips are kept, and
//! which of them functions use. Data only: no HTTP, no unpacking.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use crate::messages::DependencyVersion;

/// A created dependency version.
#[derive(Debug)]
pub(crate) struct Version {
    pub project_id: String,
    pub model: DependencyVersion,
    /// Where its zip is kept.
    pub zip: PathBuf,
}

/// The versions of one name in one project, which share a `dep_id`.
struct Dependency {
    project_id: String,
    name: String,
    next_version: u64,
    versions: BTreeMap<u64, Arc<Version>>,
}

#[derive(Default)]
struct State {
    /// By `dep_id`.
    dependencies: HashMap<String, Dependency>,
    /// `dep_id` by (project id, name).
    by_name: HashMap<(String, String), String>,
    /// (`dep_id`, version) by version id.
    by_version_id: HashMap<String, (String, u64)>,
    /// How many functions use each version id; absent means none.
    users: HashMap<String, usize>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DependencyError {
    #[error(
        "dependency version {0:?} does not exist in this project; create it with CreateDependencyVersion and name the id it answers"
    )]
    NoSuchVersionId(String),
    #[error("dependency {dep_id:?} has no version {version:?} in this project")]
    NoSuchVersion { dep_id: String, version: String },
    #[error(
        "version {version} of dependency {dep_id:?} is used by {users} function(s); delete them first"
    )]
    InUse {
        dep_id: String,
        version: u64,
        users: usize,
    },
}

/// Every dependency version of the platform, their zips in one directory.
pub(crate) struct Dependencies {
    dir: PathBuf,
    state: Mutex<State>,
}

impl Dependencies {
    /// Keeps zips in `dir`, which must exist.
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the zip of the version with id `id` is kept: written there before [`Self::add`]
    /// so that no version is ever seen without its zip.
    pub(crate) fn zip_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.zip"))
    }

    /// Adds version `id` of `name` in `project_id`, its zip already at [`Self::zip_path`]:
    /// the next number of that name under the name's `dep_id` (a new UUID for a new name). A
    /// new name starts at 1: "By default, a new dependency is version 1"
    /// (https://support.huaweicloud.com/intl/en-us/functiongraph_faq/functiongraph_03_0888.html).
    /// `model` builds the answer from the `dep_id` and the number.
    pub(crate) fn add(
        &self,
        project_id: &str,
        name: &str,
        id: &str,
        model: impl FnOnce(&str, u64) -> DependencyVersion,
    ) -> Arc<Version> {
        let mut state = self.lock();
        let key = (project_id.to_owned(), name.to_owned());
        let dep_id = state
            .by_name
            .entry(key)
            .or_insert_with(|| uuid::Uuid::new_v4().to_string())
            .clone();
        let dependency = state
            .dependencies
            .entry(dep_id.clone())
            .or_insert_with(|| Dependency {
                project_id: project_id.to_owned(),
                name: name.to_owned(),
                next_version: 1,
                versions: BTreeMap::new(),
            });
        let number = dependency.next_version;
        dependency.next_version += 1;
        let version = Arc::new(Version {
            project_id: project_id.to_owned(),
            model: model(&dep_id, number),
            zip: self.zip_path(id),
        });
        dependency.versions.insert(number, Arc::clone(&version));
        state
            .by_version_id
            .insert(id.to_owned(), (dep_id.clone(), number));
        version
    }

    /// The versions of `dep_id` in `project_id`, oldest first; `None` when it does not exist.
    pub(crate) fn versions(&self, project_id: &str, dep_id: &str) -> Option<Vec<Arc<Version>>> {
        let state = self.lock();
        let dependency = state
            .dependencies
            .get(dep_id)
            .filter(|d| d.project_id == project_id)?;
        Some(dependency.versions.values().cloned().collect())
    }

    /// The latest version of each dependency of `project_id`, by name.
    pub(crate) fn latest(&self, project_id: &str) -> Vec<Arc<Version>> {
        let state = self.lock();
        let mut latest: Vec<_> = state
            .dependencies
            .values()
            .filter(|d| d.project_id == project_id)
            .filter_map(|d| d.versions.values().next_back().cloned())
            .collect();
        latest.sort_by(|a, b| a.model.name.cmp(&b.model.name));
        latest
    }

    /// Version `version` (its number, as the path has it) of `dep_id` in `project_id`.
    pub(crate) fn version(
        &self,
        project_id: &str,
        dep_id: &str,
        version: &str,
    ) -> Result<Arc<Version>, DependencyError> {
        let state = self.lock();
        find(&state, project_id, dep_id, version).map(|(_, v)| Arc::clone(v))
    }

    /// Removes a version no function uses ("Dependencies in use cannot be deleted",
    /// https://support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_2119.html).
    /// The dependency is forgotten with its last version, so its name starts again at version 1
    /// under a new `dep_id` (fgref: no source says).
    pub(crate) fn remove(
        &self,
        project_id: &str,
        dep_id: &str,
        version: &str,
    ) -> Result<Arc<Version>, DependencyError> {
        let mut state = self.lock();
        let (number, id) = {
            let (number, found) = find(&state, project_id, dep_id, version)?;
            (number, found.model.id.clone())
        };
        if let Some(&users) = state.users.get(&id) {
            return Err(DependencyError::InUse {
                dep_id: dep_id.to_owned(),
                version: number,
                users,
            });
        }
        state.by_version_id.remove(&id);
        let dependency = state
            .dependencies
            .get_mut(dep_id)
            .expect("find just saw the dependency");
        let removed = dependency
            .versions
            .remove(&number)
            .expect("find just saw the version");
        if dependency.versions.is_empty() {
            let key = (dependency.project_id.clone(), dependency.name.clone());
            state.dependencies.remove(dep_id);
            state.by_name.remove(&key);
        }
        Ok(removed)
    }

    /// The versions `ids` names in `project_id`, in that order, each now counted as used once
    /// more; nothing is counted when one does not exist. The lease gives them back when
    /// dropped, unless it is kept (then [`Self::release`] does, when the function goes).
    pub(crate) fn acquire(
        &self,
        project_id: &str,
        ids: &[String],
    ) -> Result<Lease<'_>, DependencyError> {
        let mut state = self.lock();
        let versions = ids
            .iter()
            .map(|id| {
                state
                    .by_version_id
                    .get(id)
                    .and_then(|(dep_id, number)| {
                        state.dependencies.get(dep_id)?.versions.get(number)
                    })
                    .filter(|v| v.project_id == project_id)
                    .cloned()
                    .ok_or_else(|| DependencyError::NoSuchVersionId(id.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for id in ids {
            *state.users.entry(id.clone()).or_default() += 1;
        }
        Ok(Lease {
            store: self,
            ids: ids.to_vec(),
            versions,
        })
    }

    /// Counts `ids` as used once less: what [`Self::acquire`] took.
    pub(crate) fn release(&self, ids: &[String]) {
        let mut state = self.lock();
        for id in ids {
            if let Some(users) = state.users.get_mut(id) {
                *users -= 1;
                if *users == 0 {
                    state.users.remove(id);
                }
            }
        }
    }
}

/// Dependency versions a function being created uses: counted as used until the lease is
/// dropped, or for good once it is kept.
pub(crate) struct Lease<'a> {
    store: &'a Dependencies,
    ids: Vec<String>,
    /// In the order they were named.
    pub versions: Vec<Arc<Version>>,
}

impl Lease<'_> {
    /// The function now exists: its versions stay used until it is deleted.
    pub(crate) fn keep(mut self) {
        self.ids.clear();
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.store.release(&self.ids);
    }
}

fn find<'a>(
    state: &'a State,
    project_id: &str,
    dep_id: &str,
    version: &str,
) -> Result<(u64, &'a Arc<Version>), DependencyError> {
    let missing = || DependencyError::NoSuchVersion {
        dep_id: dep_id.to_owned(),
        version: version.to_owned(),
    };
    let number: u64 = version.parse().map_err(|_| missing())?;
    state
        .dependencies
        .get(dep_id)
        .filter(|d| d.project_id == project_id)
        .and_then(|d| d.versions.get(&number))
        .map(|v| (number, v))
        .ok_or_else(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str) -> impl FnOnce(&str, u64) -> DependencyVersion {
        let id = id.to_owned();
        move |dep_id, version| DependencyVersion {
            id,
            owner: String::new(),
            link: String::new(),
            runtime: "Node.js20.15".into(),
            etag: String::new(),
            size: 0,
            name: String::new(),
            description: String::new(),
            file_name: String::new(),
            version,
            dep_id: dep_id.to_owned(),
            last_modified: 0,
        }
    }

    #[test]
    fn versions_are_numbered_per_name_and_project() {
        let deps = Dependencies::new(PathBuf::from("/nowhere"));
        let a1 = deps.add("p", "a", "id-a1", model("id-a1"));
        let a2 = deps.add("p", "a", "id-a2", model("id-a2"));
        let b1 = deps.add("p", "b", "id-b1", model("id-b1"));
        let other = deps.add("q", "a", "id-qa1", model("id-qa1"));
        assert_eq!((a1.model.version, a2.model.version), (1, 2));
        assert_eq!(a1.model.dep_id, a2.model.dep_id);
        assert_eq!((b1.model.version, other.model.version), (1, 1));
        assert_ne!(a1.model.dep_id, b1.model.dep_id);
        assert_ne!(a1.model.dep_id, other.model.dep_id);
        assert_eq!(a1.zip, Path::new("/nowhere/id-a1.zip"));
        let listed = deps.versions("p", &a1.model.dep_id).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(deps.versions("q", &a1.model.dep_id).is_none());
        assert!(deps.version("p", &a1.model.dep_id, "2").is_ok());
        for missing in ["3", "0", "x", ""] {
            assert!(deps.version("p", &a1.model.dep_id, missing).is_err());
        }
    }

    #[test]
    fn a_used_version_cannot_be_removed_until_released() {
        let deps = Dependencies::new(PathBuf::from("/nowhere"));
        let v = deps.add("p", "a", "id1", model("id1"));
        let dep_id = v.model.dep_id.clone();
        let ids = vec!["id1".to_owned()];
        assert!(matches!(
            deps.acquire("q", &ids),
            Err(DependencyError::NoSuchVersionId(_))
        ));
        deps.acquire("p", &ids).unwrap().keep();
        deps.acquire("p", &ids).unwrap().keep();
        // A lease dropped unkept counts nothing.
        drop(deps.acquire("p", &ids).unwrap());
        let in_use = deps.remove("p", &dep_id, "1").unwrap_err();
        assert!(
            matches!(in_use, DependencyError::InUse { users: 2, .. }),
            "{in_use}"
        );
        deps.release(&ids);
        assert!(deps.remove("p", &dep_id, "1").is_err());
        deps.release(&ids);
        deps.remove("p", &dep_id, "1").unwrap();
        // Forgotten with its last version: the name starts again.
        assert!(deps.versions("p", &dep_id).is_none());
        let again = deps.add("p", "a", "id2", model("id2"));
        assert_eq!(again.model.version, 1);
        assert_ne!(again.model.dep_id, dep_id);
    }

    #[test]
    fn acquire_counts_nothing_when_one_id_is_unknown() {
        let deps = Dependencies::new(PathBuf::from("/nowhere"));
        let v = deps.add("p", "a", "id1", model("id1"));
        let ids = vec!["id1".to_owned(), "nope".to_owned()];
        let Err(err) = deps.acquire("p", &ids) else {
            panic!("an unknown id was acquired");
        };
        assert!(err.to_string().contains("\"nope\""), "{err}");
        deps.remove("p", &v.model.dep_id, "1").unwrap();
    }
}
