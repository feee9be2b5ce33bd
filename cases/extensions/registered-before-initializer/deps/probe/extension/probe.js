'use strict';

// The case's extension: listens on 127.0.0.1:8081 at once, registers only a moment later, and
// answers GET /state at once with its registration's status so far (null before the answer).

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

var registered = null;

function serve(request, response) {
  request.resume();
  request.on('end', function () {
    var body = JSON.stringify(request.method === 'GET' && request.url === '/state'
      ? { registered: registered }
      : {});
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body)
    });
    response.end(body);
  });
}

var PORT = 8081;

// Long enough for a runtime started beside the extensions, instead of after them, to run the
// initializer before the registration.
var DELAY_MS = 500;

http.createServer(serve).listen(PORT, '127.0.0.1', function () {
  setTimeout(function () {
    register(NAME, '127.0.0.1:' + PORT, function (status) {
      registered = status;
    });
  }, DELAY_MS);
});
