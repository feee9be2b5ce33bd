//! Functions: their identity (URNs), their configuration, their idle instances and their
//! asynchronous calls' records.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    async_calls::AsyncCalls,
    instance::{Instance, Quota},
    messages::FunctionModel,
};

/// The region part of fgref's URNs.
pub(crate) const REGION: &str = "fgref";

/// The only version fgref has.
pub(crate) const VERSION: &str = "latest";

/// A function's identity: one name per package per project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FunctionKey {
    pub project_id: String,
    pub package: String,
    pub name: String,
}

impl FunctionKey {
    pub(crate) fn urn(&self) -> String {
        format!(
            "urn:fss:{REGION}:{}:function:{}:{}:{VERSION}",
            self.project_id, self.package, self.name
        )
    }
}

/// Parses `urn:fss:<region>:<project_id>:function:<package>:<name>[:<version>]`; the version is
/// `None` when the URN names none.
///
/// The region is not checked, so a URN written for another region still finds the function; a
/// version other than `latest` does not exist in fgref.
pub(crate) fn parse_urn(urn: &str) -> Result<(FunctionKey, Option<&str>), String> {
    let parts: Vec<&str> = urn.split(':').collect();
    let well_formed = matches!(parts.len(), 7 | 8)
        && parts[0] == "urn"
        && parts[1] == "fss"
        && parts[4] == "function"
        && parts[3..7].iter().all(|p| !p.is_empty());
    if !well_formed {
        return Err(format!(
            "malformed function URN {urn:?}; expected urn:fss:<region>:<project_id>:function:<package>:<func_name>[:latest]"
        ));
    }
    let key = FunctionKey {
        project_id: parts[3].to_owned(),
        package: parts[5].to_owned(),
        name: parts[6].to_owned(),
    };
    Ok((key, parts.get(7).copied()))
}

/// A created function.
pub(crate) struct Function {
    /// Unique for the platform's lifetime, unlike the key, which can be reused after deletion.
    pub uid: u64,
    pub key: FunctionKey,
    pub model: FunctionModel,
    /// The function's own directory; `code_root` lies inside it.
    pub dir: PathBuf,
    pub code_root: PathBuf,
    pub user_data: Vec<(String, String)>,
    /// Every `extension/extension*.sh` a dependency laid into the code root (not the
    /// function's own code), absolute, sorted by file name (PROTOCOL.md §6).
    pub extension_scripts: Vec<PathBuf>,
    /// Its live instances under `max_instance_num` (-1: unlimited).
    pub instances: Arc<Quota>,
    /// Its asynchronous calls' records, which go when the function does.
    pub async_calls: AsyncCalls,
    idle: Mutex<Idle>,
}

#[derive(Default)]
struct Idle {
    deleted: bool,
    instances: Vec<Instance>,
}

impl Function {
    pub(crate) fn new(
        uid: u64,
        key: FunctionKey,
        model: FunctionModel,
        dir: PathBuf,
        code_root: PathBuf,
        user_data: Vec<(String, String)>,
    ) -> Self {
        Self {
            uid,
            key,
            instances: Quota::new(usize::try_from(model.max_instance_num).ok()),
            model,
            dir,
            code_root,
            user_data,
            extension_scripts: Vec::new(),
            async_calls: AsyncCalls::default(),
            idle: Mutex::default(),
        }
    }

    /// The function model as it stands: `max_instance_num` may have changed since creation.
    pub(crate) fn model_now(&self) -> FunctionModel {
        let mut model = self.model.clone();
        model.max_instance_num = self.instances.limit();
        model
    }

    fn idle(&self) -> MutexGuard<'_, Idle> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently used idle instance whose process still runs and which has been idle for
    /// less than `limit`. One idle for longer is recycled here (dropped, which kills it) even if
    /// the periodic recycling has not come by yet: when an instance stops being reusable depends
    /// on its idle time alone, not on when a busy machine next runs the recycler.
    pub(crate) fn take_idle(&self, limit: Duration) -> Option<Instance> {
        let mut idle = self.idle();
        while let Some(instance) = idle.instances.pop() {
            if !instance.has_exited() && instance.idle_since.elapsed() < limit {
                return Some(instance);
            }
        }
        None
    }

    /// Keeps `instance` warm for the next call, or hands it back when the function is gone.
    #[must_use]
    pub(crate) fn put_idle(&self, mut instance: Instance) -> Option<Instance> {
        let mut idle = self.idle();
        if idle.deleted {
            return Some(instance);
        }
        instance.idle_since = Instant::now();
        idle.instances.push(instance);
        None
    }

    /// Removes the instance idle the longest, to make room for another function's.
    pub(crate) fn take_longest_idle(&self) -> Option<Instance> {
        let mut idle = self.idle();
        let oldest = (0..idle.instances.len()).min_by_key(|&i| idle.instances[i].idle_since)?;
        Some(idle.instances.remove(oldest))
    }

    /// When the instance idle the longest became idle.
    pub(crate) fn longest_idle_since(&self) -> Option<Instant> {
        self.idle().instances.iter().map(|i| i.idle_since).min()
    }

    /// Removes the instances idle for longer than `limit` or whose process exited.
    pub(crate) fn take_expired(&self, limit: Duration) -> Vec<Instance> {
        let mut idle = self.idle();
        let (expired, keep) = std::mem::take(&mut idle.instances)
            .into_iter()
            .partition(|i| i.has_exited() || i.idle_since.elapsed() >= limit);
        idle.instances = keep;
        expired
    }

    /// Marks the function deleted and removes all its idle instances.
    pub(crate) fn close(&self) -> Vec<Instance> {
        let mut idle = self.idle();
        idle.deleted = true;
        std::mem::take(&mut idle.instances)
    }

    /// Where an instance may write logs of its own (`RUNTIME_LOG_DIR`).
    pub(crate) fn log_dir(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// The environment of an instance: `user_data` keys, then the `RUNTIME_*` variables, which
    /// therefore win over a `user_data` key of the same name. `runtime_root` is the directory
    /// of the language runtime (`RUNTIME_ROOT`).
    pub(crate) fn instance_env(&self, runtime_root: &Path) -> Vec<(String, String)> {
        let m = &self.model;
        let user_data = if m.user_data.is_empty() {
            "{}".to_owned()
        } else {
            m.user_data.clone()
        };
        let mut env = self.user_data.clone();
        let runtime_vars = [
            ("RUNTIME_CODE_ROOT", self.code_root.display().to_string()),
            ("RUNTIME_HANDLER", m.handler.clone()),
            ("RUNTIME_TIMEOUT", m.timeout.to_string()),
            ("RUNTIME_MEMORY", m.memory_size.to_string()),
            ("RUNTIME_CPU", m.cpu.to_string()),
            ("RUNTIME_FUNC_NAME", m.func_name.clone()),
            ("RUNTIME_PACKAGE", m.package.clone()),
            ("RUNTIME_FUNC_VERSION", VERSION.to_owned()),
            ("RUNTIME_PROJECT_ID", m.namespace.clone()),
            ("RUNTIME_USERDATA", user_data),
            // OTC's environment-variable page lists these three among the preset variables.
            (
                "RUNTIME_MAX_RESP_BODY_SIZE",
                crate::instance::MAX_RESULT_BYTES.to_string(),
            ),
            ("RUNTIME_ROOT", runtime_root.display().to_string()),
            ("RUNTIME_LOG_DIR", self.log_dir().display().to_string()),
        ];
        env.extend(runtime_vars.map(|(k, v)| (k.to_owned(), v)));
        if !m.initializer_handler.is_empty() {
            env.push((
                "RUNTIME_INITIALIZER_HANDLER".to_owned(),
                m.initializer_handler.clone(),
            ));
            env.push((
                "RUNTIME_INITIALIZER_TIMEOUT".to_owned(),
                m.initializer_timeout.to_string(),
            ));
        }
        env
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    functions: Mutex<HashMap<FunctionKey, Arc<Function>>>,
    next_uid: AtomicU64,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<FunctionKey, Arc<Function>>> {
        self.functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn next_uid(&self) -> u64 {
        self.next_uid.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn get(&self, key: &FunctionKey) -> Option<Arc<Function>> {
        self.lock().get(key).cloned()
    }

    pub(crate) fn contains(&self, key: &FunctionKey) -> bool {
        self.lock().contains_key(key)
    }

    /// Adds `function`; `None` when its key is taken.
    pub(crate) fn insert(&self, function: Function) -> Option<Arc<Function>> {
        let mut functions = self.lock();
        if functions.contains_key(&function.key) {
            return None;
        }
        let function = Arc::new(function);
        functions.insert(function.key.clone(), Arc::clone(&function));
        Some(function)
    }

    pub(crate) fn remove(&self, key: &FunctionKey) -> Option<Arc<Function>> {
        self.lock().remove(key)
    }

    pub(crate) fn all(&self) -> Vec<Arc<Function>> {
        self.lock().values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_round_trips_with_or_without_version() {
        let key = FunctionKey {
            project_id: "p1".into(),
            package: "default".into(),
            name: "hello".into(),
        };
        let urn = key.urn();
        assert_eq!(urn, "urn:fss:fgref:p1:function:default:hello:latest");
        assert_eq!(parse_urn(&urn).unwrap(), (key.clone(), Some("latest")));
        let bare = "urn:fss:fgref:p1:function:default:hello";
        assert_eq!(parse_urn(bare).unwrap(), (key.clone(), None));
        let other_region = "urn:fss:cn-north-4:p1:function:default:hello:v2";
        assert_eq!(parse_urn(other_region).unwrap(), (key, Some("v2")));
    }

    #[test]
    fn malformed_urns_are_refused() {
        for bad in [
            "hello",
            "urn:fss:fgref:p1:func:default:hello",
            "urn:fss:fgref::function:default:hello",
            "urn:fss:fgref:p1:function:default:hello:latest:extra",
        ] {
            assert!(parse_urn(bad).is_err(), "{bad} accepted");
        }
    }
}
