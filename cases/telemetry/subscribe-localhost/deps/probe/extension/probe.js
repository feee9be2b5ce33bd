'use strict';

// The case's extension: registers, subscribes to platform events with its listener named
// http://localhost:8085 while its server listens on 127.0.0.1:8085 alone, and serves at
// GET /observed both statuses and the name and traceId of every event delivered so far.

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

// Sends a telemetry subscription to the extension API.
function subscribe(body, done) {
  post('/telemetry', {}, JSON.stringify(body), done);
}

var statuses = null;
var waiting = [];
var events = [];

function reply(response, value) {
  var body = JSON.stringify(value);
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body)
  });
  response.end(body);
}

function observed() {
  return {
    registered: statuses.registered,
    subscribed: statuses.subscribed,
    events: events
  };
}

function complete(value) {
  statuses = value;
  waiting.forEach(function (response) {
    reply(response, observed());
  });
  waiting = [];
}

// Keeps the name and traceId of each event of a delivery (a JSON array); a body that is no
// array is kept as it came, to show in a diff.
function file(text) {
  var batch;
  try {
    batch = JSON.parse(text);
  } catch (error) {
    batch = null;
  }
  if (!Array.isArray(batch)) {
    events.push({ notAnArray: text });
    return;
  }
  batch.forEach(function (event) {
    events.push({ name: event && event.name, traceId: event && event.traceId });
  });
}

function serve(request, response) {
  var chunks = [];
  request.on('data', function (chunk) {
    chunks.push(chunk);
  });
  request.on('end', function () {
    if (request.method === 'GET' && request.url === '/observed') {
      if (statuses === null) {
        waiting.push(response);
      } else {
        reply(response, observed());
      }
      return;
    }
    if (request.method === 'POST' && request.url !== '/extension/invoke') {
      file(Buffer.concat(chunks).toString('utf8'));
    }
    reply(response, {});
  });
}

// This extension's server, which is also its telemetry listener: IPv4 only, so a delivery
// sought at another address than 127.0.0.1 does not reach it.
var PORT = 8085;

var SUBSCRIPTION = {
  subscriber: { protocol: 'POST', uri: 'http://localhost:' + PORT },
  types: ['platform']
};

http.createServer(serve).listen(PORT, '127.0.0.1', function () {
  register(NAME, '127.0.0.1:' + PORT, function (registered) {
    subscribe(SUBSCRIPTION, function (subscribed) {
      complete({ registered: registered, subscribed: subscribed });
    });
  });
});
