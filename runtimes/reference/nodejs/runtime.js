'use strict';
/*
 * fgref Node.js language runtime.
 *
 * Started by fgref as `node runtime.js` (cwd = code root) with the environment of
 * PROTOCOL.md §5. It runs the function's initializer once, then long-polls the runtime API
 * for events, calls the user's handler and posts the result or the error back.
 *
 * Behaviour follows the research notes (the project's research notes on FunctionGraph, cited as
 * "notes §x"), which describe Huawei's own Node.js runtime ([OSS]). Where this file keeps an
 * [OSS] quirk on purpose, the comment says so.
 *
 * Must run unchanged on Node 6.10.3 … 20.x: ES2015 only (nothing from ES2017 on: no optional chaining or nullish coalescing, no
 * object spread, no optional catch binding, no Object.entries/values, no padStart), core
 * modules only.
 */

const http = require('http');
const fs = require('fs');
const path = require('path');
const util = require('util');

// ---------------------------------------------------------------------------------------------
// Configuration (PROTOCOL §5)
// ---------------------------------------------------------------------------------------------

const ENV = process.env;
const NODE_MAJOR = parseInt(process.versions.node.split('.')[0], 10);
// Node.js6.10 semantics differ (notes §1.3 "handler arity"; [OSS] runFuncInstance): the handler
// must declare exactly 3 parameters and a returned Promise is ignored.
const LEGACY_NODE = NODE_MAJOR < 8;

const CODE_ROOT = path.resolve(ENV.RUNTIME_CODE_ROOT || process.cwd());
// Every spelling of the code root that can show up in messages and stack traces. require()
// reports real paths, so a code root reached through a symlink needs its real path too.
const CODE_ROOT_SPELLINGS = codeRootSpellings(CODE_ROOT);
const SELF = __filename;

const API = parseApiAddr(ENV.RUNTIME_API_ADDR);
const RETRY_MS = 50; // FunctionGraph's custom-runtime sample retries GET after 50 ms (notes §8)
const POST_ATTEMPTS = 5;
// After reporting an initialisation failure the platform discards the instance (PROTOCOL §5);
// if it has not killed us after this long, leave on our own so no orphan survives.
const INIT_FAILED_EXIT_MS = 30000;

// Largest result accepted, in bytes. [OSS] reads MAX_REQUEST_BODY_SIZE (MB); FunctionGraph
// documents a 6 MB synchronous response limit (notes §5.3), which is the default here.
const MAX_RESULT_BYTES = (parseFloat(ENV.MAX_REQUEST_BODY_SIZE) || 6) * 1048576;

// Message prefixes of the runtime's error codes (notes §5.1).
const PREFIX = {
  entry: 'function entry exception, error: ', //          4001: callback(err), load/config errors
  invocation: 'function invocation exception, error: ', // 4002: throw / reject
  resultInvalid: 'function result is invalid, error: ', // 4007: result cannot be serialised
  initialization: 'function initialization exception, error: ', // 4009: any initializer failure
};

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function codeRootSpellings(root) {
  const spellings = [root];
  try {
    const real = fs.realpathSync(root);
    if (real !== root) spellings.push(real);
  } catch (e) {
    // the code root may not exist (misconfiguration): the resolved path is all we have
  }
  // Longest first, so that a root that is a prefix of another does not win.
  return spellings.sort(function (a, b) { return b.length - a.length; });
}

function mentionsCodeRoot(text) {
  for (let i = 0; i < CODE_ROOT_SPELLINGS.length; i++) {
    if (text.indexOf(CODE_ROOT_SPELLINGS[i]) >= 0) return true;
  }
  return false;
}

// Every occurrence of the code root becomes '.' (notes §1.3, [OSS-ERRH] filterPath), so users
// see './index.js' whatever the platform's directory is. Literal replacement ([OSS] builds an
// unescaped RegExp from the path; same result for ordinary paths).
function hideCodeRoot(text) {
  let out = String(text);
  for (let i = 0; i < CODE_ROOT_SPELLINGS.length; i++) {
    out = out.split(CODE_ROOT_SPELLINGS[i]).join('.');
  }
  return out;
}

function parseApiAddr(addr) {
  if (!addr) return null;
  let s = String(addr).replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const colon = s.lastIndexOf(':');
  let host = colon >= 0 ? s.slice(0, colon) : s;
  const port = colon >= 0 ? parseInt(s.slice(colon + 1), 10) : 80;
  if (host.charAt(0) === '[') host = host.slice(1, -1); // [::1]:port
  return { host: host || '127.0.0.1', port: port };
}

// String(value) that never throws (Object.create(null), hostile toString, ...).
function safeString(value) {
  try {
    return String(value);
  } catch (e) {
    return Object.prototype.toString.call(value);
  }
}

// What `new Error(value).message` would be: how [OSS] wraps a non-Error throw or rejection.
function messageOfNonError(value) {
  return value === undefined ? '' : safeString(value);
}

// The runtime's own writes must not go through a process.stdout.write the user replaced.
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);

function runtimeLog(message) {
  stderrWrite('[fgref runtime] ' + message + '\n');
}

// ---------------------------------------------------------------------------------------------
// Logger (notes §3.3)
// ---------------------------------------------------------------------------------------------

// [OSS-LOG] splits a record into chunks of 90 KiB (string length).
const MAX_LOG_CHUNK = 90 * 1024;
const LOG_LEVELS = ['INFO', 'ERROR', 'WARN', 'DEBUG'];

function utcSecondTimestamp() {
  // 2026-03-17T10:13:22Z: the layout observed on the live service (notes §3.3)
  return new Date().toISOString().slice(0, 19) + 'Z';
}

class Logger {
  constructor(tag) {
    this.tag = tag; // the request id; 'initializer' for the initializer's logger
    this.logLevel = 'INFO'; // [OSS-LOG] default, reset for every invocation (new Logger per call)
  }

  // Unknown levels are ignored ([OSS-LOG]).
  setLevel(level) {
    if (LOG_LEVELS.indexOf(level) >= 0) this.logLevel = level;
  }

  // Emission rules of [OSS-LOG]: error always; warn at INFO/WARN/DEBUG; info at INFO/DEBUG;
  // debug only at DEBUG (so level INFO does not emit debug, WARN does not emit info).
  info() {
    if (this.logLevel === 'INFO' || this.logLevel === 'DEBUG') this.write('INFO', arguments);
  }

  warn() {
    if (this.logLevel !== 'ERROR') this.write('WARN', arguments);
  }

  error() {
    this.write('ERROR', arguments);
  }

  debug() {
    if (this.logLevel === 'DEBUG') this.write('DEBUG', arguments);
  }

  // One stdout line per message line: `<UTC second>Z <requestId> <LEVEL> <line>`.
  // [OSS] sends structured records and lets the platform lay them out; this is the layout
  // observed on FunctionGraph (notes §3.3). Lines longer than 90 KiB are cut like [OSS] records.
  write(level, args) {
    const message = util.format.apply(util, args);
    const head = utcSecondTimestamp() + ' ' + this.tag + ' ' + level + ' ';
    const out = [];
    const lines = message.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.length <= MAX_LOG_CHUNK) {
        out.push(head + line);
      } else {
        for (let at = 0; at < line.length; at += MAX_LOG_CHUNK) {
          out.push(head + line.slice(at, at + MAX_LOG_CHUNK));
        }
      }
    }
    stdoutWrite(out.join('\n') + '\n'); // one write: the lines of a record stay together
  }
}

// ---------------------------------------------------------------------------------------------
// Context (notes §3.1, §3.2; field names as in [OSS-CTX] so code reading fields sees the same)
// ---------------------------------------------------------------------------------------------

function parseUserData(text) {
  // [OSS-CTX]: parse failure (or absence) gives {}; a JSON null also ends up as {}.
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    parsed = null;
  }
  return parsed || {};
}

// `headers` are the GET's response headers (lower-cased by Node); the credential headers are
// the custom runtime's (notes §8, PROTOCOL §5). The security-AK/SK, workflow and alias headers
// are read under the same `x-cff-` naming when a platform sends them; fgref does not.
class Context {
  constructor(requestID, headers, loggerTag) {
    const h = headers || {};
    const get = function (name) { return h[name] ? String(h[name]) : ''; };
    this.functionName = ENV.RUNTIME_FUNC_NAME || '';
    this.package = ENV.RUNTIME_PACKAGE || '';
    this.projectID = ENV.RUNTIME_PROJECT_ID || '';
    this.functionVersion = ENV.RUNTIME_FUNC_VERSION || '';
    // Strings, as the environment gives them (notes §3.2).
    this.memory = ENV.RUNTIME_MEMORY || '0';
    this.cpu = ENV.RUNTIME_CPU || '0';
    this.userData = parseUserData(ENV.RUNTIME_USERDATA);
    // Milliseconds despite getRunningTimeInSeconds()'s name; 3000 when unset (notes §3.2, §11.8).
    this.timeout = ENV.RUNTIME_TIMEOUT ? ENV.RUNTIME_TIMEOUT * 1000 : 3000;
    this.startTime = new Date().getTime();
    this.requestID = requestID;
    this.accessKey = get('x-cff-access-key');
    this.secretKey = get('x-cff-secret-key');
    this.securityAccessKey = get('x-cff-security-access-key');
    this.securitySecretKey = get('x-cff-security-secret-key');
    this.authToken = get('x-cff-auth-token');
    this.securityToken = get('x-cff-security-token');
    this.logger = new Logger(loggerTag);
    this.invokeID = requestID;
    this.invokeProperty = null;
    this.fromTask = false;
    this.instanceID = null;
    this.state = null;
    this.traceID = requestID;
    this.alias = get('x-cff-invoke-alias');
    this.workflowID = get('x-cff-workflow-id');
    this.workflowRunID = get('x-cff-workflow-run-id');
    this.workflowStateID = get('x-cff-workflow-state-id');
  }

  getRequestID() { return this.requestID; }
  getRemainingTimeInMilliSeconds() { return this.timeout + this.startTime - new Date().getTime(); }
  getAccessKey() { return this.accessKey; }
  getSecretKey() { return this.secretKey; }
  getSecurityAccessKey() { return this.securityAccessKey; }
  getSecuritySecretKey() { return this.securitySecretKey; }
  getSecurityToken() { return this.securityToken; }
  getToken() { return this.authToken; }
  getUserData(key) { return this.userData[key]; }
  getFunctionName() { return this.functionName; }
  getRunningTimeInSeconds() { return this.timeout; }
  getVersion() { return this.functionVersion; }
  getMemorySize() { return this.memory; }
  getCPUNumber() { return this.cpu; }
  getPackage() { return this.package; }
  getProjectID() { return this.projectID; }
  getAlias() { return this.alias; }
  getWorkflowID() { return this.workflowID; }
  getWorkflowRunID() { return this.workflowRunID; }
  getWorkflowStateID() { return this.workflowStateID; }
  getLogger() { return this.logger; }
}

// ---------------------------------------------------------------------------------------------
// Failures and their payloads (notes §1.3, §2.2, §5.1; [OSS-ERRH], [OSS-TEST])
// ---------------------------------------------------------------------------------------------

// The user's code threw, its Promise rejected, or an uncaught exception happened during the
// call. Reported with the 'invocation' prefix (initialization during init) and a stackTrace.
class UserFunctionError {
  constructor(value) { this.value = value; }
}

// The runtime could not get a callable entry point: module missing or broken (FunctionLoadError)
// or export missing / wrong arity (FunctionConfigError / FunctionLoadError, as [OSS] names them).
// When the cause is an error thrown while loading the module, [OSS] reports that error's own
// name as errorType (e.g. SyntaxError, ReferenceError).
class EntryError {
  constructor(errorType, message, cause) {
    this.errorType = errorType;
    this.message = message;
    this.cause = cause || null;
  }
}

function loadErrorFrom(cause) {
  if (!(cause instanceof Error)) {
    return new EntryError('FunctionLoadError', messageOfNonError(cause), null);
  }
  let message = cause.message;
  if (cause instanceof SyntaxError) {
    // [OSS-ERRH]: the first stack line ('/code/index.js:3') tells the user where the error is.
    message += ' (' + (String(cause.stack).split('\n')[0] || '') + ')';
  }
  return new EntryError(cause.name || 'FunctionLoadError', message, cause);
}

const FRAME_MARK = '    at';

function isFrame(line) { return line.indexOf(FRAME_MARK) >= 0; }

// The user's frames of a stack: from the first frame to the last frame inside the code root
// ([OSS-ERRH] buildUserStack). Our own frames are dropped first, so this holds even when the
// platform puts runtime.js inside the code root.
function userFrames(stack) {
  const lines = String(stack || '').split('\n').filter(function (line) {
    return !(isFrame(line) && line.indexOf(SELF) >= 0);
  });
  let start = -1;
  let end = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (mentionsCodeRoot(lines[i])) { end = i; break; }
  }
  for (let i = 0; i < lines.length; i++) {
    if (isFrame(lines[i])) { start = i; break; }
  }
  return start >= 0 && end >= 0 && start <= end ? lines.slice(start, end + 1) : [];
}

// Text logged at ERROR through the context logger on every failure ([OSS-ERRH] buildErrMessage,
// [OSS-HANDLER] writeError): the original message, then the stack's first line and the user
// frames; for a syntax error at load, the whole located preamble (file:line, source, caret).
function failureLogText(error) {
  let value = error;
  let message = null;
  if (error instanceof UserFunctionError) {
    value = error.value;
  } else if (error instanceof EntryError) {
    if (!error.cause) return hideCodeRoot(error.message);
    value = error.cause;
    message = error.message;
  }
  if (value instanceof Error) {
    const stackLines = String(value.stack || '').split('\n');
    let head;
    if (value instanceof SyntaxError && error instanceof EntryError) {
      head = [];
      for (let i = 0; i < stackLines.length && !isFrame(stackLines[i]); i++) head.push(stackLines[i]);
    } else {
      head = [stackLines[0]];
    }
    const text = (message === null ? value.message : message) + '\n' +
      head.concat(userFrames(value.stack)).join('\n');
    return hideCodeRoot(text);
  }
  if (error instanceof UserFunctionError) return hideCodeRoot(messageOfNonError(value));
  if (value !== null && typeof value === 'object') {
    try {
      return hideCodeRoot(JSON.stringify(value));
    } catch (e) {
      return hideCodeRoot(safeString(value));
    }
  }
  return hideCodeRoot(safeString(value));
}

// Error JSON: 4-space pretty-printed, code root replaced by '.' (notes §1.3, [OSS-ERRH]).
function errorJson(errorMessage, errorType, stackTrace) {
  const body = { errorMessage: errorMessage, errorType: errorType };
  if (stackTrace) body.stackTrace = stackTrace;
  return hideCodeRoot(JSON.stringify(body, null, 4));
}

function userFunctionErrorJson(prefix, thrown) {
  if (thrown instanceof Error) {
    const frames = userFrames(thrown.stack).map(function (f) { return f.trim(); });
    return errorJson(prefix + thrown.message, thrown.name || 'UserFunctionError', frames);
  }
  // A non-Error throw/rejection: [OSS] wraps it in its own UserFunctionError, whose name then
  // becomes errorType and whose stack holds no user frame.
  return errorJson(prefix + messageOfNonError(thrown), 'UserFunctionError', []);
}

// The error body of a failed invocation. `error` is what reached the completion callback:
// a UserFunctionError, an EntryError, or the user's own callback(err) value.
function invocationErrorBody(error) {
  if (error instanceof UserFunctionError) return userFunctionErrorJson(PREFIX.invocation, error.value);
  if (error instanceof EntryError) return errorJson(PREFIX.entry + error.message, error.errorType);
  if (error instanceof Error) {
    // callback(new Error(...)): no stackTrace; errorType honours an own `type` like [OSS].
    return errorJson(PREFIX.entry + error.message, error.type || error.name);
  }
  if (typeof error === 'object') {
    // callback({...}) — kept from [OSS] getRespMessage: the object's `message` is overwritten
    // with the prefixed message and the object itself is the (compact, unfiltered) body.
    try {
      error.message = PREFIX.entry + error.message;
    } catch (e) {
      // frozen object: [OSS] (sloppy mode) silently keeps it unchanged
    }
    try {
      const text = JSON.stringify(error);
      if (typeof text === 'string') return text;
    } catch (e) {
      // circular: fall through to String()
    }
    return safeString(error);
  }
  // callback('text'), callback(42), ...: [OSS] answers the value itself, not JSON (notes §1.3).
  return safeString(error);
}

// The body of POST /v1/runtime/init/error. Same shapes as [OSS] with the initialization prefix
// (notes §2.2), except that it is always a JSON object: PROTOCOL §5 requires
// {errorMessage, errorType}, while [OSS] would answer a bare string for callback('text').
function initErrorBody(error) {
  const prefix = PREFIX.initialization;
  if (error instanceof UserFunctionError) return userFunctionErrorJson(prefix, error.value);
  if (error instanceof EntryError) return errorJson(prefix + error.message, error.errorType);
  if (error instanceof Error) return errorJson(prefix + error.message, error.type || error.name);
  let text;
  if (typeof error === 'object') {
    try {
      text = JSON.stringify(error);
    } catch (e) {
      text = undefined;
    }
  }
  if (typeof text !== 'string') text = safeString(error);
  return errorJson(prefix + text, 'UserFunctionError');
}

// Success body (notes §1.3, [OSS] getRespMessage): objects, arrays and null as JSON; strings
// as they are; anything else through String(). Returns {ok, body}.
function resultBody(data) {
  let text;
  if (typeof data === 'object') {
    try {
      text = JSON.stringify(data);
    } catch (err) {
      const type = err && (err.type || err.name) || 'TypeError';
      return { ok: false, body: errorJson(PREFIX.resultInvalid + (err && err.message), type) };
    }
    if (typeof text !== 'string') text = ''; // toJSON() returned undefined
  } else {
    text = safeString(data);
  }
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_RESULT_BYTES) {
    // [OSS] answers this plain sentence, not JSON (notes §1.3 "result too large").
    return { ok: false, body: util.format('response body size %d exceeds the limit of %d', size, MAX_RESULT_BYTES) };
  }
  return { ok: true, body: text };
}

// ---------------------------------------------------------------------------------------------
// Loading the user's code (notes §1.1, §1.3, §2.2)
// ---------------------------------------------------------------------------------------------

// 'src/index.handler' -> { file: 'src/index', name: 'handler' } (split on the last dot).
function splitEntry(entry) {
  const s = String(entry || '');
  const dot = s.lastIndexOf('.');
  if (dot < 0) return { file: s, name: '' };
  return { file: s.slice(0, dot), name: s.slice(dot + 1) };
}

const HANDLER = splitEntry(ENV.RUNTIME_HANDLER);
const HANDLER_PATH = path.resolve(CODE_ROOT, HANDLER.file + '.js');
// The initializer lives in the handler's file: only its function name is used ([OSS]
// initializeFunction loads the handler's module; notes §2.1 "same file as the handler").
const INITIALIZER = initializerEntry(ENV.RUNTIME_INITIALIZER_HANDLER);

// [OSS] loadFunction takes an initializer only from a string that splits at dots into exactly
// two parts ('index.init'); any other ('index.v2.init') runs none, while the platform accepts it.
function initializerEntry(value) {
  if (!value || String(value).split('.').length !== 2) return null;
  return splitEntry(value);
}

// require() the handler's module; node's module cache makes this a load-once. A module that
// failed to load is not cached, so the next call tries again (as [OSS], which requires per call).
// Returns { module } or { error: EntryError }.
function loadHandlerModule() {
  let mod;
  try {
    mod = require(HANDLER_PATH);
  } catch (err) {
    const message = err && typeof err.message === 'string' ? err.message : '';
    const cannotFind = message.indexOf('Cannot find module') >= 0;
    if (cannotFind && message.indexOf("Cannot find module '" + HANDLER_PATH + "'") < 0) {
      // the handler's file exists but one of its own require()s failed
      return { error: loadErrorFrom(err) };
    }
    if (message.indexOf(HANDLER_PATH) >= 0) {
      return { error: new EntryError('FunctionLoadError', "not found module '" + HANDLER_PATH + "'") };
    }
    return { error: loadErrorFrom(err) }; // syntax error or a throw at module top level
  }
  if (!mod) return { error: new EntryError('FunctionLoadError', "not found module '" + HANDLER_PATH + "'") };
  return { module: mod };
}

// Returns { fn } or { error: EntryError } (messages from [OSS-TEST]).
function resolveHandler() {
  const loaded = loadHandlerModule();
  if (loaded.error) return loaded;
  const fn = loaded.module[HANDLER.name];
  if (!fn) {
    return { error: new EntryError('FunctionConfigError',
      "handler '" + HANDLER.name + "' not found in module '" + HANDLER_PATH + "'") };
  }
  const arity = fn.length;
  if (LEGACY_NODE ? arity !== 3 : (arity !== 2 && arity !== 3)) {
    const expected = LEGACY_NODE ? '3' : '2 or 3';
    return { error: new EntryError('FunctionLoadError',
      'handler expect to have ' + expected + ' parameters, but received ' + arity) };
  }
  return { fn: fn };
}

function resolveInitializer() {
  const loaded = loadHandlerModule();
  if (loaded.error) return loaded;
  const fn = loaded.module[INITIALIZER.name];
  if (!fn) {
    return { error: new EntryError('FunctionConfigError',
      "initializer '" + INITIALIZER.name + "' not found in module '" + HANDLER_PATH + "'") };
  }
  // Exactly 2 parameters on every Node version, even for one that returns a Promise (notes §2.2).
  if (fn.length !== 2) {
    return { error: new EntryError('FunctionConfigError',
      'initializer expect to have 2 parameters, but received ' + fn.length) };
  }
  return { fn: fn };
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof value.then === 'function';
}

// Calls fn(args..., callback). On Node 8+ a returned Promise also settles the call: resolve
// -> callback(null, value), reject -> callback(UserFunctionError). A synchronous throw is a
// UserFunctionError. Node 6 ignores the return value ([OSS] runFuncInstance). The callback
// keeps only the first completion, so whichever of callback/Promise comes first wins.
function callUserFunction(fn, args, callback) {
  let result;
  try {
    result = fn.apply(undefined, args.concat([callback]));
  } catch (err) {
    callback(new UserFunctionError(err));
    return;
  }
  if (LEGACY_NODE) return;
  try {
    if (!isThenable(result)) return;
    // Any thenable, not only native Promises ([OSS] tests `instanceof Promise`).
    result.then(
      function (value) { callback(null, value); },
      function (reason) { callback(new UserFunctionError(reason)); });
  } catch (err) {
    callback(new UserFunctionError(err)); // a hostile `then` getter or then() that throws
  }
}

// The completion callback handed to user code, mimicking [OSS]'s
// `function callback(error = {}, data = '')` guarded by HasCallBacked:
//   - only the first call counts;
//   - kept from [OSS] on purpose: an undefined `error` (callback() with no arguments) becomes
//     {} and is therefore a FAILURE; callback(null) / callback(null, undefined) succeed with ''.
//   - any truthy `error` fails the call; a falsy one (null, 0, '', false) is success.
function completionCallback(onDone) {
  let called = false;
  return function callback(error, data) {
    if (called) return;
    called = true;
    if (error === undefined) error = {};
    if (data === undefined) data = '';
    onDone(error, data);
  };
}

// ---------------------------------------------------------------------------------------------
// Runtime API client (PROTOCOL §5)
// ---------------------------------------------------------------------------------------------

// One HTTP exchange on a fresh connection (`agent: false`: nothing pooled survives between the
// long poll and the posts, which is the simplest thing that is robust back to Node 6.10).
// cb(err, res, bodyBuffer) is called exactly once.
function apiRequest(method, urlPath, body, contentType, cb) {
  let finished = false;
  function done(err, res, data) {
    if (finished) return;
    finished = true;
    cb(err, res, data);
  }
  const headers = {};
  let payload = null;
  if (body !== null) {
    payload = Buffer.from(body, 'utf8');
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = payload.length;
  }
  let req;
  try {
    req = http.request({
      host: API.host, port: API.port, method: method, path: urlPath, headers: headers, agent: false,
    }, function (res) {
      const chunks = [];
      res.on('data', function (chunk) { chunks.push(chunk); });
      // Node 6 ends an aborted response normally after 'aborted': catch it first.
      res.on('aborted', function () { done(new Error('response aborted')); });
      res.on('error', function (err) { done(err); });
      res.on('end', function () { done(null, res, Buffer.concat(chunks)); });
    });
  } catch (err) {
    setImmediate(function () { done(err); });
    return;
  }
  req.on('error', function (err) { done(err); });
  req.end(payload === null ? undefined : payload);
}

// POST with a few retries on transport errors; cb(ok) once the platform answered (or gave up).
function apiPost(urlPath, body, contentType, cb) {
  let attempt = 0;
  (function tryOnce() {
    attempt++;
    apiRequest('POST', urlPath, body, contentType, function (err, res, data) {
      if (err) {
        if (attempt < POST_ATTEMPTS) { setTimeout(tryOnce, RETRY_MS); return; }
        runtimeLog('POST ' + urlPath + ' failed: ' + err.message);
        cb(false);
        return;
      }
      if (res.statusCode !== 200) {
        // 404 unknown request id, 409 already answered (PROTOCOL §5): nothing to retry.
        runtimeLog('POST ' + urlPath + ' answered ' + res.statusCode + ': ' + data.toString('utf8'));
      }
      cb(true);
    });
  })();
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

// No uncaughtException handler, on purpose: a throw from a user timer or event callback (and,
// on Node 15+, an unhandled rejection) ends the process, as in [OSS-HANDLER], which registers
// none. The platform then fails the call in flight with "runtime process is exited" and starts a
// new instance for the next call; an instance whose state a stray throw interrupted is not
// reused.

function parseEvent(buffer) {
  const text = buffer.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    return text; // fgref only sends JSON (FSS.0406 otherwise); pass anything else through raw
  }
}

function pollNext() {
  apiRequest('GET', '/v1/runtime/invocation/request', null, null, function (err, res, body) {
    if (err || res.statusCode !== 200) {
      setTimeout(pollNext, RETRY_MS); // notes §8: non-200 means "nothing yet", retry in 50 ms
      return;
    }
    const requestId = res.headers['x-cff-request-id'];
    if (!requestId) {
      runtimeLog('event without X-Cff-Request-Id ignored');
      setTimeout(pollNext, RETRY_MS);
      return;
    }
    invoke(String(requestId), res.headers, body);
  });
}

function invoke(requestId, headers, body) {
  const context = new Context(requestId, headers, requestId);
  const event = parseEvent(body);

  const callback = completionCallback(function (error, data) {
    let outcome;
    try {
      if (error) {
        // Every failure is logged through the context logger ([OSS-HANDLER] writeError).
        context.getLogger().error(failureLogText(error));
        outcome = { ok: false, body: invocationErrorBody(error) };
      } else {
        outcome = resultBody(data); // [OSS] does not log result-invalid / too-large failures
      }
    } catch (err) {
      // A bug of ours must not strand the call.
      outcome = { ok: false, body: errorJson(PREFIX.invocation + safeString(err && err.message), 'Error', []) };
    }
    const kind = outcome.ok ? 'response' : 'error';
    const type = outcome.ok ? 'text/plain; charset=utf-8' : 'application/json';
    apiPost('/v1/runtime/invocation/' + kind + '/' + encodeURIComponent(requestId), outcome.body, type,
      function () { pollNext(); });
  });

  const resolved = resolveHandler();
  if (resolved.error) {
    callback(resolved.error);
    return;
  }
  callUserFunction(resolved.fn, [event, context], callback);
}

function runInitializer(onSuccess) {
  // The initializer's context has no request id (notes §2.2); its log lines carry the tag
  // 'initializer', the invoke id [OSS] gives the initializer's logger.
  const context = new Context('', null, 'initializer');
  // The initializer has initializer_timeout seconds of its own, counted from its start and
  // independent of the handler's timeout (notes §2.1: HW-INIT-SPEC; OTC "Initialization Timeout:
  // maximum duration the function can be initialized"). Past it initialization fails, even if
  // the initializer completes later. The platform enforces the same limit from our first
  // request; this timer only lets us report the failure ourselves.
  const initSeconds = parseFloat(ENV.RUNTIME_INITIALIZER_TIMEOUT);
  const timedOut = new EntryError('TimeoutError', 'initialization timed out after ' + initSeconds + 's');
  let initTimer = null;

  const callback = completionCallback(function (error) {
    if (initTimer !== null) clearTimeout(initTimer);
    if (!error) {
      onSuccess();
      return; // `data` is ignored: the initializer has no return value (notes §2.1)
    }
    if (error === timedOut) {
      // no source gives this message; it is the one fgref's platform uses for the same failure
      reportInitFailure(errorJson(timedOut.message, timedOut.errorType));
      return;
    }
    let body;
    try {
      context.getLogger().error(failureLogText(error));
      body = initErrorBody(error);
    } catch (err) {
      body = errorJson(PREFIX.initialization + safeString(err && err.message), 'Error', []);
    }
    reportInitFailure(body);
  });
  if (initSeconds > 0) {
    initTimer = setTimeout(function () { callback(timedOut); }, initSeconds * 1000);
  }

  const resolved = resolveInitializer();
  if (resolved.error) {
    callback(resolved.error);
    return;
  }
  // Node 8+: a returned Promise settles it too; its resolved value is ignored.
  callUserFunction(resolved.fn, [context], callback);
}

// After init/error the instance must not GET (a GET means "initialised", PROTOCOL §5). The
// platform discards the instance; we wait to be killed rather than exit, so the platform sees
// the reported failure and not a process exit racing it. If the platform cannot be reached,
// nobody will kill us: exit at once. A last-resort timer prevents an orphan either way.
function reportInitFailure(body) {
  apiPost('/v1/runtime/init/error', body, 'application/json', function (ok) {
    if (!ok) process.exit(1);
    setTimeout(function () { process.exit(1); }, INIT_FAILED_EXIT_MS);
  });
}

function main() {
  if (!API || !API.port) {
    runtimeLog('RUNTIME_API_ADDR is not set or invalid: ' + ENV.RUNTIME_API_ADDR);
    process.exit(1);
  }
  // While user code runs nothing of ours is pending (no GET during a call): a handler that never
  // completes and holds no timer would let node exit, turning a timeout into a process exit.
  // The instance lives until the platform stops it, so keep the event loop alive for good.
  setInterval(function () {}, 1 << 30);
  // Say we are up before loading anything of the function's: the platform counts the
  // initialisation limit from this first request (PROTOCOL §5), so node's own start-up is not
  // the initializer's. If the platform cannot be reached, carry on: it starts the clock anyway.
  apiPost('/v1/runtime/init/start', '', 'text/plain', function () {
    // An initializer string whose function part is empty means "no initializer" ([OSS-TEST]).
    if (INITIALIZER && INITIALIZER.name) {
      runInitializer(pollNext);
    } else {
      pollNext();
    }
  });
}

main();
