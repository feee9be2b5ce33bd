//! Running a dependency step: CreateDependencyVersion of one of the case's `deps/<folder>/`, with
//! the step's fields, and DeleteDependencyVersion of a version the trial created; each answer
//! judged against the step's expectation.

use std::path::Path;

use base64::Engine as _;

use crate::case::{DependFileForm, DependencyStep, Step};
use crate::deploy::Created;
use crate::judge;
use crate::matcher::Captures;
use crate::names::RunPrefix;
use crate::package::{self, Filler};
use crate::runtime_id::RuntimeId;
use crate::verdict::Evidence;
use crate::wire::{Client, CreateDependencyVersionRequest, DependencyVersion, ProtocolError};

/// What a trial's dependency steps work with: where the case's folders are, the names and
/// runtime it creates versions under, what it created.
pub struct Versions<'a> {
    pub case_dir: &'a Path,
    pub prefix: &'a RunPrefix,
    pub runtime: RuntimeId,
    pub created: &'a mut Created,
    /// The version the last `create-dependency` step created, for a `delete-dependency` step
    /// that names none.
    pub last: Option<DependencyVersion>,
}

impl Versions<'_> {
    /// CreateDependencyVersion of the step's folder; a version created is deleted with the
    /// trial, whatever the step expected.
    pub async fn create(
        &mut self,
        client: &Client,
        step: &Step,
        captures: &mut Captures,
    ) -> Result<Option<Evidence>, ProtocolError> {
        const CALL: &str = "CreateDependencyVersion";
        let fields = step.dependency.clone().unwrap_or_default();
        let request = self.request(&fields).await?;
        let Some(pending) = self.created.begin().ok() else {
            return Err(ProtocolError::Transport {
                call: CALL,
                message: "the run is stopping (interrupted): nothing more is created".into(),
            });
        };
        let reply = client.create_dependency_version_reply(&request).await?;
        // A refused step created nothing: a later `delete-dependency` must not reach back past it.
        self.last = None;
        if reply.is_success()
            && let Ok(version) = reply.dependency_version(CALL)
        {
            self.created.dependency(None, version.clone());
            self.last = Some(version);
        }
        drop(pending);
        judge::dependency_call(CALL, &step.expected, &reply, captures)
    }

    /// DeleteDependencyVersion of the version the step's folder was deployed with for the
    /// function, or else of the one the last `create-dependency` step created.
    pub async fn delete(
        &mut self,
        client: &Client,
        step: &Step,
        captures: &mut Captures,
    ) -> Result<Option<Evidence>, ProtocolError> {
        const CALL: &str = "DeleteDependencyVersion";
        let version = match &step.dependency {
            Some(fields) => self.created.function_dependency(&fields.folder),
            None => self.last.as_ref(),
        }
        .cloned()
        .ok_or(ProtocolError::Missing {
            call: "CreateDependencyVersion",
            what: "a version (it was refused, or its answer named none), so the `delete-dependency` step after it has none to delete",
        })?;
        let reply = client
            .delete_dependency_version(&version.dep_id, version.version)
            .await?;
        judge::dependency_call(CALL, &step.expected, &reply, captures)
    }

    /// The request: the folder zipped, with the step's fields instead of the harness's.
    async fn request(
        &self,
        fields: &DependencyStep,
    ) -> Result<CreateDependencyVersionRequest, ProtocolError> {
        const MIB: u64 = 1024 * 1024;
        let dir = self.case_dir.join("deps").join(&fields.folder);
        let form = fields.depend_file;
        // Off the async workers: a filler takes a moment to make.
        let zipped = tokio::task::spawn_blocking(move || match form {
            DependFileForm::Zip => package::zip_dir(&dir),
            DependFileForm::NotAZip => Ok(b"this is not a zip archive\n".to_vec()),
            DependFileForm::Over40Mb => {
                package::zip_dir_with_filler(&dir, Filler::Incompressible(40 * MIB))
            }
            DependFileForm::Over30000Files => {
                package::zip_dir_with_filler(&dir, Filler::EmptyFiles(30_001))
            }
        })
        .await;
        let zip = zipped
            .map_err(|e| e.to_string())
            .and_then(|zipped| zipped.map_err(|e| e.to_string()))
            .map_err(|e| ProtocolError::Transport {
                call: "CreateDependencyVersion",
                message: format!("the harness could not zip deps/{}/: {e}", fields.folder),
            })?;
        Ok(CreateDependencyVersionRequest {
            depend_type: fields.depend_type.clone().unwrap_or_else(|| "zip".into()),
            depend_file: base64::engine::general_purpose::STANDARD.encode(zip),
            runtime: fields
                .runtime
                .clone()
                .unwrap_or_else(|| self.runtime.as_str().into()),
            name: fields
                .name
                .clone()
                .unwrap_or_else(|| self.prefix.dependency_name(&fields.folder)),
            description: fields.description.clone(),
        })
    }
}
