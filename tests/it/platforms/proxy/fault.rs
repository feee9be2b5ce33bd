//! What the faulty proxy gets wrong: one [`Fault`] per platform behaviour, each a broken
//! platform of the self-tests (or, where it says "not broken", a variant the documents allow).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bills in 100 ms units, as FunctionGraph did years ago.
    BillingRoundedTo100Ms,
    /// Leaves out `X-CFF-Billing-Duration`.
    NoBillingHeader,
    /// Reports no memory used.
    MemoryUsedZero,
    /// The log without the `Start invoke request` / `Finish invoke request` lines.
    NoPlatformLogLines,
    /// Returns the log even when the caller did not ask for the tail.
    LogWithoutAsking,
    /// `X-Cff-Function-Log` as plain text instead of base64.
    LogHeaderNotBase64,
    /// Puts the previous call's log in front of this call's.
    LogOfPreviousCall,
    /// Runs functions with ten times their configured timeout.
    TimeoutNotEnforced,
    /// Runs functions with four times their memory_size (and reports the configured size).
    MemoryNotEnforced,
    /// Accepts bodies over 6 MB (it passes the function `{}` instead).
    OversizedBodyAccepted,
    /// Accepts a body that is not JSON (passes it on as a JSON string).
    NonJsonAccepted,
    /// Answers every FSS.1xxx validation error as a generic FSS.0400.
    GenericErrorCodes,
    /// CreateFunction with an existing name replaces the function.
    DuplicateReplaces,
    /// DeleteFunction answers 204 but keeps the function.
    DeleteKeepsFunction,
    /// DeleteFunction of the latest version (`…:latest`) deletes the whole function.
    DeleteLatestDeletesFunction,
    /// CreateFunction without `package` puts the function in `default` instead of refusing it.
    PackageDefaulted,
    /// CreateDependencyVersion takes any name, description, depend_type and runtime.
    DependencyFieldsUnchecked,
    /// CreateDependencyVersion takes any `depend_file` (it creates a zip of one plain file).
    DependencyFilesUnchecked,
    /// Numbers dependency versions from 0.
    DependencyVersionsFromZero,
    /// DeleteDependencyVersion answers 200 with `{}` instead of 204 (and deletes).
    DependencyDeleteAnswers200,
    /// DeleteDependencyVersion of a version a function uses answers 204 (and keeps it).
    DependencyInUseDeleted,
    /// CreateFunction without `timeout` gives the function 900 s.
    TimeoutDefaultedTo900,
    /// Not broken: CreateFunction without `timeout` gives the function the FAQ's 3 s, where
    /// CreateFunction's page calls the field mandatory.
    TimeoutDefaultedTo3,
    /// One call at a time per function: concurrent calls queue for the one warm instance.
    ConcurrentCallsShareAnInstance,
    /// Never recycles idle instances (fgref's idle time is an hour behind the proxy).
    IdleNeverRecycled,
    /// Leaves out `X-Cff-Invoke-Summary`.
    NoSummary,
    /// A flaky platform: the first invoke answer of the proxy's life carries a wrong result
    /// (`"the first answer is wrong"`); every later one is right (`selftest::retries`).
    FirstInvokeWrong,
    /// Runs initializers with twice their `initializer_timeout` (and reports the configured one).
    InitializerTimeoutDoubled,
    /// Clamps CreateFunction's documented boundaries instead of taking them as given: timeout 3
    /// becomes 4, memory_size 1536 becomes 2048, user_data keeps 19 entries, values of 1 KB or
    /// more are cut to 1000 characters.
    BoundariesClamped,
    /// DeleteFunction answers 200 with `{}` instead of 204 (and deletes).
    DeleteAnswers200,
    /// CreateFunction's answer gives `code_size` one byte off and `digest` of an empty package.
    CreateAnswerMisdescribesCode,
    /// The function model's `cpu` in cores (1), not millicores.
    CpuInCores,
    /// CreateFunction takes a package of any size, packed or unpacked (it runs the package
    /// without the harness's filler).
    PackageSizesUnchecked,
    /// CreateFunction takes a `memory_size` over 10 GB (it runs the function with 4096 MB).
    MemoryOver10GbAccepted,
    /// CreateFunction's answer has no `type`.
    TypeMissing,
    /// Not broken: a function created without `type` is `v1`, the text of CreateFunction's
    /// `type`, where its Default line says `v2` (CONTRADICTIONS.md #41).
    TypeDefaultV1,
    /// CreateFunction's answer gives `func_urn` without its version `:latest`.
    FuncUrnWithoutVersion,
    /// CreateFunction's answer leaves out what the request set: empty `user_data`, no
    /// initializer, the default `timeout`.
    CreateAnswerForgetsConfiguration,
    /// Takes any `pre_stop_handler`, `pre_stop_timeout` and `encrypted_user_data` (it drops them).
    OptionalFieldsUnchecked,
    /// Gives an initializer without `initializer_timeout` one of 3 s instead of refusing it.
    InitializerTimeoutDefaulted,
    /// Takes calls without credentials as if they carried them.
    CredentialsNotChecked,
    /// Answers every synchronous call with the v1 body, whatever `X-CFF-Request-Version` asks.
    AnswerAlwaysV1,
    /// Leaves out `X-Cff-Response-Version`.
    ResponseVersionMissing,
    /// The v1 body's `status` as a string (`"200"`), not an integer.
    BodyStatusAsText,
    /// ListFunctions ignores `package_name`: its page also holds a function of another package.
    ListFunctionsIgnorePackage,
    /// ListFunctions' page has no `count`.
    ListFunctionsWithoutCount,
    /// ListFunctions refuses `maxitems` 0 and 401 instead of taking them as 400.
    MaxitemsOutsideRangeRefused,
    /// ListFunctions takes a negative `maxitems` as 0 (400 functions) instead of refusing it.
    NegativeMaxitemsAccepted,
    /// A result over the response limit comes back as an empty success instead of failing.
    OversizedResultEmptied,
    /// Accepts asynchronous invocations with 200 instead of 202.
    AsyncAnsweredOk,
    /// Accepts asynchronous invocations with an empty `request_id`.
    AsyncRequestIdEmpty,
    /// Lists every failed asynchronous call as SUCCESS.
    AsyncFailureListedAsSuccess,
    /// Lists asynchronous calls with `error_code` as a string and times with milliseconds and a
    /// zone (`2026-01-02T03:04:05.000Z`).
    AsyncRecordsOfAnotherShape,
    /// Refuses asynchronous invocations over 64 KiB (413 FSS.0413).
    AsyncBodyLimit64Kb,
    /// Accepts asynchronous invocations over 256 KiB (it queues `{}` instead).
    AsyncOversizedBodyAccepted,
    /// Answers an asynchronous invocation only once the call has ended.
    AsyncAnsweredWhenTheCallEnds,
    /// Not broken: asynchronous calls as the documents also allow. The 202 names the request in
    /// camel case too (an older edition of the page says both are answered), records are listed
    /// newest first (no order is documented), a failed call's `error_code` is 1 and its
    /// `error_message` "failed" (neither is documented), a body over 256 KiB is refused with 400
    /// `FSS.0400` (the page's status list has no 413), and a body `{"body": …}` is unwrapped
    /// (the reference's example wraps the event so, without saying whether it must).
    AsyncOtherAllowedChoices,
    /// Not broken: answers 400, a status the pages' own lists give, where the error-code table
    /// pairs FSS.0406 with 406, FSS.1061 with 409 and FSS.1071 with 413 (CONTRADICTIONS.md #21).
    StatusesFromThePagesLists,
    /// Runs every asynchronous call with the event `{}`, not the request's body.
    AsyncEventDropped,
    /// Lists asynchronous calls of every status, whatever `status` asks for.
    AsyncStatusFilterIgnored,
    /// Lists every asynchronous call, whatever `limit` asks for.
    AsyncLimitIgnored,
    /// Not broken: the v1 body has no `log` field at all when the caller did not ask for the
    /// tail ("no log is returned").
    NoLogFieldUnasked,
}
