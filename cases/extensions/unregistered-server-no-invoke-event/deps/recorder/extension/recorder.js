'use strict';

// An extension with two servers: one it registers (127.0.0.1:8081) and one it never registers
// (127.0.0.1:8082, a port the extension API allows). Each records the invoke events POSTed to
// it; GET /observed on the first answers the traceIds each received, joined with commas.

var http = require('http');

// The script's file name: the name to register with.
var NAME = process.argv[2];

// FunctionGraph's extension API, HOST:PORT, from the environment the platform gives extensions.
var API = process.env.EXTENSION_API_ADDR || '';

// POSTs `body` to the extension API and calls done(status, text) once: the HTTP status and the
// answer's body, or a string saying why there was no answer.
function post(path, headers, body, done) {
  var colon = API.lastIndexOf(':');
  if (colon <= 0) {
    setImmediate(function () {
      done('EXTENSION_API_ADDR is not HOST:PORT: ' + JSON.stringify(API), '');
    });
    return;
  }
  var all = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  Object.keys(headers).forEach(function (name) {
    all[name] = headers[name];
  });
  var request = http.request({
    hostname: API.slice(0, colon),
    port: Number(API.slice(colon + 1)),
    method: 'POST',
    path: path,
    headers: all
  }, function (response) {
    var chunks = [];
    response.on('data', function (chunk) {
      chunks.push(chunk);
    });
    response.on('end', function () {
      done(response.statusCode, Buffer.concat(chunks).toString('utf8'));
    });
  });
  request.on('error', function (error) {
    done('no answer: ' + error.message, '');
  });
  request.end(body);
}

// Registers with the extension API: the script's file name and the address of this extension's
// server go in two headers; null leaves that header out.
function register(name, address, done) {
  var headers = {};
  if (name !== null) {
    headers['FunctionGraph-Extension-Name'] = name;
  }
  if (address !== null) {
    headers['FunctionGraph-Extension-Address'] = address;
  }
  post('/extension/register', headers, '{}', done);
}

// The registered server's port, and the port of the server no registration names.
var PORT = 8081;
var UNREGISTERED = 8082;

var received = { registered: [], unregistered: [] };
var registered = null;

function answer(response, value) {
  var body = JSON.stringify(value);
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body)
  });
  response.end(body);
}

function traceIds(events) {
  return events.map(function (event) {
    return String(event.traceId);
  }).join(',');
}

// A server that files each invoke event under `kind`; answers every request 200.
function server(kind) {
  return http.createServer(function (request, response) {
    var chunks = [];
    request.on('data', function (chunk) {
      chunks.push(chunk);
    });
    request.on('end', function () {
      var text = Buffer.concat(chunks).toString('utf8');
      if (request.method === 'POST' && request.url === '/extension/invoke') {
        var event;
        try {
          event = JSON.parse(text);
        } catch (error) {
          event = { notJson: text };
        }
        received[kind].push(event);
        answer(response, {});
      } else if (request.method === 'GET' && request.url === '/observed') {
        answer(response, {
          registered: registered,
          registeredTraceIds: traceIds(received.registered),
          unregisteredTraceIds: traceIds(received.unregistered)
        });
      } else {
        answer(response, {});
      }
    });
  });
}

// The unregistered server listens first, so that it is there before any call can be.
server('unregistered').listen(UNREGISTERED, '127.0.0.1', function () {
  server('registered').listen(PORT, '127.0.0.1', function () {
    register(NAME, '127.0.0.1:' + PORT, function (status) {
      registered = status;
    });
  });
});
