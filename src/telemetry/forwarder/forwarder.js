// fgconform's telemetry forwarder: a FunctionGraph extension (research notes §9) that subscribes
// to its function's telemetry and passes every batch of events, unchanged, to the harness's
// collector. Started by extensionFgconformForwarder.sh next to it.
//
// It runs on the function's own node, so it is plain JavaScript for Node.js 6.10 and later: no
// async/await, no object spread, nothing newer; the `http` module only.
//
// Environment (set by the platform and by the harness through user_data):
//   EXTENSION_API_ADDR         the platform's extension API, 127.0.0.1:PORT
//   FGCONFORM_COLLECTOR_URL    where to forward to: http://HOST:PORT/telemetry/<trial token>
//   FGCONFORM_TELEMETRY_TYPES  what to subscribe to, comma-separated: platform,function,extension
'use strict';

var http = require('http');
var url = require('url');

// The extension's own address must be one of these (FunctionGraph's extension API).
var FIRST_PORT = 8081;
var LAST_PORT = 8090;
// The platform waits for each answer of ours, so the collector gets at most this long.
var COLLECTOR_TIMEOUT_MS = 2000;
// Registering and subscribing are local calls; longer means the platform is not listening.
var API_TIMEOUT_MS = 5000;

// FunctionGraph checks the name against the script it started: the script passes its own name.
var NAME = process.argv[2] || 'extensionFgconformForwarder.sh';

function say(message) {
  process.stderr.write('fgconform forwarder: ' + message + '\n');
}

function die(message) {
  say(message);
  process.exit(1);
}

process.on('uncaughtException', function (error) {
  die('crashed: ' + (error && error.stack ? error.stack : String(error)));
});

var apiAddr = process.env.EXTENSION_API_ADDR || '';
var collectorUrl = process.env.FGCONFORM_COLLECTOR_URL || '';
var types = (process.env.FGCONFORM_TELEMETRY_TYPES || '').split(',').filter(function (type) {
  return type !== '';
});

var colon = apiAddr.lastIndexOf(':');
if (colon <= 0) {
  die('EXTENSION_API_ADDR is ' + JSON.stringify(apiAddr) + ', not HOST:PORT; is this running as an extension?');
}
var api = { hostname: apiAddr.slice(0, colon), port: Number(apiAddr.slice(colon + 1)) };
var collector = url.parse(collectorUrl);
if (collector.protocol !== 'http:' || !collector.hostname) {
  die('FGCONFORM_COLLECTOR_URL is ' + JSON.stringify(collectorUrl) + ', not an http:// URL');
}
if (types.length === 0) {
  die('FGCONFORM_TELEMETRY_TYPES is empty; it lists what to subscribe to (platform,function,extension)');
}

// POSTs `body` and calls `done(error, status, text)` exactly once: with the answer, or with an
// error when there was none within `timeoutMs`.
function post(target, path, headers, body, timeoutMs, done) {
  var finished = false;
  var timer = null;
  function finish(error, status, text) {
    if (finished) {
      return;
    }
    finished = true;
    clearTimeout(timer);
    done(error, status, text);
  }
  var allHeaders = { 'Content-Type': 'application/json', 'Content-Length': body.length };
  Object.keys(headers).forEach(function (name) {
    allHeaders[name] = headers[name];
  });
  var request = http.request({
    hostname: target.hostname,
    port: target.port,
    method: 'POST',
    path: path,
    headers: allHeaders
  }, function (response) {
    var chunks = [];
    response.on('data', function (chunk) {
      chunks.push(chunk);
    });
    response.on('end', function () {
      finish(null, response.statusCode, Buffer.concat(chunks).toString('utf8'));
    });
    response.on('error', function (error) {
      finish(error);
    });
  });
  timer = setTimeout(function () {
    finish(new Error('no answer within ' + timeoutMs + ' ms'));
    request.abort();
  }, timeoutMs);
  request.on('error', function (error) {
    finish(error);
  });
  request.end(body);
}

function answer(response, status, text) {
  var body = Buffer.from(text, 'utf8');
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  response.end(body);
}

// Passes one telemetry body on; `done(true)` once the collector took it.
function forward(body, done) {
  var path = collector.path || '/';
  post(collector, path, {}, body, COLLECTOR_TIMEOUT_MS, function (error, status, text) {
    if (error) {
      say('forwarding ' + body.length + ' bytes of telemetry to ' + collectorUrl + ' failed: ' + error.message);
      done(false);
    } else if (status < 200 || status > 299) {
      say('the collector at ' + collectorUrl + ' refused ' + body.length + ' bytes of telemetry: HTTP ' + status + ' ' + text);
      done(false);
    } else {
      done(true);
    }
  });
}

// The platform calls us twice over: POST /extension/invoke before each call, and POST with a JSON
// array of events to the subscriber URI. Only the second goes on to the collector.
function serve(request, response) {
  var chunks = [];
  request.on('data', function (chunk) {
    chunks.push(chunk);
  });
  request.on('end', function () {
    var body = Buffer.concat(chunks);
    if (request.method !== 'POST') {
      answer(response, 405, '{"errorMessage":"the forwarder takes POST only"}');
    } else if (request.url === '/extension/invoke') {
      answer(response, 200, '{}');
    } else {
      forward(body, function (delivered) {
        if (delivered) {
          answer(response, 200, '{}');
        } else {
          answer(response, 502, '{"errorMessage":"the collector did not take the events"}');
        }
      });
    }
  });
}

function subscribe(port) {
  var body = Buffer.from(JSON.stringify({
    subscriber: { protocol: 'POST', uri: 'http://127.0.0.1:' + port },
    types: types
  }), 'utf8');
  post(api, '/telemetry', {}, body, API_TIMEOUT_MS, function (error, status, text) {
    if (error) {
      say('subscribing at http://' + apiAddr + '/telemetry failed: ' + error.message + '; no telemetry will reach the collector');
    } else if (status !== 200) {
      say('subscribing at http://' + apiAddr + '/telemetry was refused: HTTP ' + status + ' ' + text + '; no telemetry will reach the collector');
    }
  });
}

function register(port) {
  var headers = {
    'FunctionGraph-Extension-Name': NAME,
    'FunctionGraph-Extension-Address': '127.0.0.1:' + port
  };
  var where = 'http://' + apiAddr + '/extension/register';
  post(api, '/extension/register', headers, Buffer.from('{}', 'utf8'), API_TIMEOUT_MS, function (error, status, text) {
    if (error) {
      die('registering at ' + where + ' failed: ' + error.message);
    } else if (status !== 200) {
      die('registering at ' + where + ' was refused: HTTP ' + status + ' ' + text);
    } else {
      subscribe(port);
    }
  });
}

// The first free port of the range: other extensions of the instance may hold some.
function listenFrom(port) {
  if (port > LAST_PORT) {
    die('no free port on 127.0.0.1 in ' + FIRST_PORT + '-' + LAST_PORT);
  }
  var server = http.createServer(serve);
  server.once('error', function (error) {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      listenFrom(port + 1);
    } else {
      die('cannot listen on 127.0.0.1:' + port + ': ' + error.message);
    }
  });
  server.listen(port, '127.0.0.1', function () {
    server.removeAllListeners('error');
    server.on('error', function (error) {
      say('the server on 127.0.0.1:' + port + ' failed: ' + error.message);
    });
    register(port);
  });
}

listenFrom(FIRST_PORT);
