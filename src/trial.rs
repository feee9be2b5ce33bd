//! Running one trial: deploy the case's function (with its dependencies), run its steps in order
//! within a deadline, so a target that hangs costs one verdict, and delete what it created on
//! every way out.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::case::{Action, Case, Pause, Step};
use crate::dependency_step;
use crate::deploy::{self, Created};
use crate::invoke;
use crate::live::RunScope;
use crate::matcher::Captures;
use crate::names::RunPrefix;
use crate::record::StepRecord;
use crate::runtime_id::RuntimeId;
use crate::target::Timeouts;
use crate::telemetry::{Collector, TrialTelemetry};
use crate::verdict::{Failure, TrialError, Verdict};
use crate::wire::Client;

/// A bound on deleting what the trial created, after its deadline.
const CLEANUP_DEADLINE: Duration = Duration::from_secs(60);

/// One (runtime, case) pair.
#[derive(Debug, Clone)]
pub struct TrialPlan {
    pub case: Arc<Case>,
    pub runtime: RuntimeId,
    /// What `pause = "idle"` waits: longer than the target's idle time.
    pub idle_pause: Duration,
    /// The target's time limits (its descriptor's `[timeouts]`).
    pub timeouts: Timeouts,
}

impl TrialPlan {
    /// A bound on the whole trial but its cleanup (which has `CLEANUP_DEADLINE` of its own):
    /// the deploy, each dependency version (an API call each), and each step's pause, timeouts
    /// and telemetry wait.
    pub fn deadline(&self) -> Duration {
        let steps: Duration = (0..self.case.steps.len())
            .map(|index| {
                let step = &self.case.steps[index];
                let wait = if step.expected.awaits_events() {
                    self.timeouts.telemetry_wait
                } else {
                    Duration::ZERO
                };
                self.pause(step) + self.step_timeout(index) + wait
            })
            .sum();
        let function = &self.case.function;
        let versions = function.dependencies.len() + usize::from(!function.telemetry.is_empty());
        self.timeouts.deploy + self.timeouts.api_call * versions as u32 + steps
    }

    /// How long each call of step `index` may take: the function's own timeouts, and the
    /// allowance for a cold or a warm start.
    fn step_timeout(&self, index: usize) -> Duration {
        let f = &self.case.function;
        let allowance = if self.is_cold(index) {
            self.timeouts.cold_invoke
        } else {
            self.timeouts.warm_invoke
        };
        Duration::from_secs(u64::from(f.timeout) + u64::from(f.initializer_timeout.unwrap_or(0)))
            + allowance
    }

    /// Whether step `index` may start an instance: the first synchronous invoke (an asynchronous
    /// call before it may still hold the instance it started), one after an idle pause,
    /// concurrent ones, and the wait for an asynchronous call (queued, it may start one).
    fn is_cold(&self, index: usize) -> bool {
        let steps = &self.case.steps;
        let step = &steps[index];
        let first_invoke = !steps[..index]
            .iter()
            .any(|earlier| earlier.action == Action::Invoke);
        first_invoke
            || step.pause == Pause::Idle
            || step.concurrent > 1
            || step.action == Action::AsyncOutcome
    }

    fn pause(&self, step: &Step) -> Duration {
        step.pause.length(self.idle_pause)
    }
}

/// What running a trial produced.
#[derive(Debug)]
pub struct TrialOutcome {
    pub verdict: Verdict,
    /// The steps that ran, up to the one that decided the verdict.
    pub steps: Vec<StepRecord>,
    /// The last node version an invoke's answer named; `None` when the target names none.
    pub node_version: Option<String>,
}

/// Runs `plan` against the target behind `client`, creating under `scope`; its function sends
/// telemetry to `collector`.
pub async fn run(
    client: &Client,
    collector: &Collector,
    scope: &RunScope,
    plan: &TrialPlan,
) -> TrialOutcome {
    let mut outcome = TrialOutcome {
        verdict: Verdict::Pass,
        steps: Vec::new(),
        node_version: None,
    };
    let mut telemetry =
        (!plan.case.function.telemetry.is_empty()).then(|| TrialTelemetry::open(collector));
    let mut created = Created::new(scope.live.clone());
    // Steps record into `outcome` and `created` as they go, so a trial cut off by its deadline
    // keeps what its finished steps saw and still deletes what it created.
    let steps = run_steps(
        client,
        &scope.prefix,
        plan,
        telemetry.as_mut(),
        &mut created,
        &mut outcome,
    );
    outcome.verdict = match tokio::time::timeout(plan.deadline(), steps).await {
        Ok(verdict) => verdict,
        Err(_) => Verdict::Error(TrialError::TimedOut(plan.deadline())),
    };
    let _ = tokio::time::timeout(CLEANUP_DEADLINE, created.delete(client)).await;
    outcome
}

async fn run_steps(
    client: &Client,
    prefix: &RunPrefix,
    plan: &TrialPlan,
    mut telemetry: Option<&mut TrialTelemetry>,
    created: &mut Created,
    outcome: &mut TrialOutcome,
) -> Verdict {
    let case = &plan.case;
    let depend_version_list = match deploy::dependencies(
        client,
        prefix,
        case,
        plan.runtime,
        telemetry.is_some(),
        created,
    )
    .await
    {
        Ok(ids) => ids,
        Err(error) => return Verdict::Error(error),
    };
    let collector_url = telemetry.as_deref().map(TrialTelemetry::url);
    let (request, code) = match deploy::request(
        prefix,
        case,
        plan.runtime,
        depend_version_list,
        collector_url,
    )
    .await
    {
        Ok(made) => made,
        Err(error) => return Verdict::Error(error),
    };
    let mut captures = Captures::default();
    captures.bind("func_name", Value::String(request.func_name.clone()));
    if let Some(package) = &request.package {
        captures.bind("package", Value::String(package.clone()));
    }
    captures.bind("runtime", Value::String(plan.runtime.as_str().into()));
    captures.bind("memory_size", Value::from(case.function.memory_size));
    captures.bind("code_size", Value::from(code.size));
    captures.bind("code_digest", Value::String(code.sha512));
    let model = match deploy::deploy(client, case, &request, &mut captures, created).await {
        Ok(Some(model)) => model,
        // Refused, as the case expected: there is nothing to invoke.
        Ok(None) => return Verdict::Pass,
        Err(verdict) => return verdict,
    };
    captures.bind("func_urn", Value::String(model.func_urn.clone()));

    let mut versions = dependency_step::Versions {
        case_dir: &case.dir,
        prefix,
        runtime: plan.runtime,
        created,
        last: None,
    };
    let mut verdict = Verdict::Pass;
    // The request id the last asynchronous invoke's answer named, for `async-outcome` steps.
    let mut async_request: Option<String> = None;
    for (index, step) in case.steps.iter().enumerate() {
        tokio::time::sleep(plan.pause(step)).await;
        if let Some(telemetry) = telemetry.as_deref_mut() {
            telemetry.begin_step(index + 1);
        }
        let deployed = invoke::Deployed {
            request: &request,
            func_urn: &model.func_urn,
            async_request: async_request.as_deref(),
        };
        let ran = invoke::run_step(
            client,
            &deployed,
            &mut versions,
            step,
            invoke::Limits {
                invoke: plan.step_timeout(index),
                telemetry_wait: plan.timeouts.telemetry_wait,
            },
            &mut captures,
            telemetry.as_deref_mut(),
        )
        .await;
        if step.action == Action::InvokeAsync {
            async_request = ran.request_ids.first().cloned();
        }
        outcome.steps.push(StepRecord {
            label: step.label.clone(),
            request_ids: ran.request_ids,
        });
        if ran.node_version.is_some() {
            outcome.node_version = ran.node_version;
        }
        match ran.result {
            Ok(None) => continue,
            Ok(Some(evidence)) => {
                verdict = Verdict::Fail(Box::new(Failure {
                    step: index + 1,
                    steps: case.steps.len(),
                    step_label: step.label.clone(),
                    evidence,
                }));
            }
            Err(source) => {
                verdict = Verdict::Error(TrialError::Invoke {
                    step: index + 1,
                    label: step.label.clone(),
                    source,
                });
            }
        }
        break;
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case of three invokes (the third after an idle pause), `timeout = 3`, one dependency.
    fn plan(timeouts: Timeouts) -> TrialPlan {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("area/name");
        std::fs::create_dir_all(dir.join("code")).unwrap();
        std::fs::create_dir_all(dir.join("deps/lib")).unwrap();
        let mut toml = "description = \"d\"\nspec = [\"https://example.com\"]\nlevel = \"documented\"\n[function]\ntimeout = 3\ndependencies = [\"lib\"]\n".to_owned();
        for pause in ["", "", "pause = \"idle\"\n"] {
            toml.push_str(&format!("[[steps]]\nexpected = \"e.json\"\n{pause}"));
        }
        std::fs::write(dir.join("case.toml"), toml).unwrap();
        std::fs::write(dir.join("e.json"), "{}").unwrap();
        let case = Case::load(root.path(), &dir).unwrap();
        TrialPlan {
            case: Arc::new(case),
            runtime: RuntimeId::parse("Node.js20.15").unwrap(),
            idle_pause: Duration::from_secs(4),
            timeouts,
        }
    }

    #[test]
    fn the_time_limits_make_the_deadline_and_each_step_timeout() {
        let secs = Duration::from_secs;
        let local = plan(Timeouts::LOCAL);
        // Today's local deadline: 60 s deploy, 30 s per dependency, 3 s + 10 s per step, the pause.
        assert_eq!(local.deadline(), secs(60 + 30 + 3 * 13 + 4));
        let remote = plan(Timeouts {
            deploy: secs(100),
            api_call: secs(20),
            cold_invoke: secs(40),
            warm_invoke: secs(7),
            telemetry_wait: secs(9),
        });
        // Cold: the first invoke and the one after the idle pause; warm: the second.
        assert_eq!(remote.step_timeout(0), secs(43));
        assert_eq!(remote.step_timeout(1), secs(10));
        assert_eq!(remote.step_timeout(2), secs(43));
        assert_eq!(remote.deadline(), secs(100 + 20 + 43 + 10 + 43 + 4));
    }
}
