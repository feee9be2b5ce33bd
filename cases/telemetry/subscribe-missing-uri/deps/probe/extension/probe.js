'use strict';

// The case's extension: registers, sends the invalid subscription (no subscriber.uri),
// then a valid one, and serves the three HTTP statuses at GET /observed.

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

// Sends a telemetry subscription (any body, to test the refusals) to the extension API.
function subscribe(body, done) {
  post('/telemetry', {}, JSON.stringify(body), done);
}

// What this extension saw, served at GET /observed once complete: a request that comes earlier
// waits for it. Every other request (POST /extension/invoke, telemetry) is answered 200.
var observed = null;
var waiting = [];

function reply(response, value) {
  var body = JSON.stringify(value);
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body)
  });
  response.end(body);
}

function complete(value) {
  observed = value;
  waiting.forEach(function (response) {
    reply(response, value);
  });
  waiting = [];
}

function serve(request, response) {
  request.resume();
  request.on('end', function () {
    if (request.method === 'GET' && request.url === '/observed') {
      if (observed === null) {
        waiting.push(response);
      } else {
        reply(response, observed);
      }
    } else {
      reply(response, {});
    }
  });
}

// This extension's server; the valid subscription's listener is the same server.
var PORT = 8085;

// The subscription under test.
var INVALID = {
  subscriber: { protocol: 'POST' },
  types: ['platform']
};

http.createServer(serve).listen(PORT, '127.0.0.1', function () {
  register(NAME, '127.0.0.1:' + PORT, function (registered) {
    subscribe(INVALID, function (invalid) {
      var valid = { subscriber: { protocol: 'POST', uri: 'http://127.0.0.1:' + PORT }, types: ['platform'] };
      subscribe(valid, function (validStatus) {
        complete({ registered: registered, invalid: invalid, valid: validStatus });
      });
    });
  });
});
