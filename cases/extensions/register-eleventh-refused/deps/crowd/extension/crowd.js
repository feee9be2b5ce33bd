'use strict';

// One of the case's ten extensions; with the harness's telemetry forwarder they are eleven.
// Nine take the ports 8082-8090 (the forwarder takes the first free one, 8081) and register.
// The one left without a port is the eleventh: it waits until the other ten have registered,
// then registers itself and logs the outcome as an [Extension] line.

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

var net = require('net');

var FIRST = 8082;
var LAST = 8090;
var FORWARDER = 8081;

// GETs http://127.0.0.1:PORT/observed, which a crowd member answers once it has registered;
// retries while nothing answers there yet.
function registered(port, done) {
  http.get({ hostname: '127.0.0.1', port: port, path: '/observed' }, function (response) {
    response.resume();
    response.on('end', done);
  }).on('error', function () {
    setTimeout(function () {
      registered(port, done);
    }, 50);
  });
}

function everyPortRegistered(port, done) {
  if (port > LAST) {
    done();
    return;
  }
  registered(port, function () {
    everyPortRegistered(port + 1, done);
  });
}

// Waits until something listens on 127.0.0.1:PORT.
function listening(port, done) {
  var socket = net.connect(port, '127.0.0.1', function () {
    socket.destroy();
    done();
  });
  socket.on('error', function () {
    setTimeout(function () {
      listening(port, done);
    }, 50);
  });
}

function eleventh() {
  // An extension stays up while its instance lives.
  setInterval(function () {}, 60000);
  everyPortRegistered(FIRST, function () {
    listening(FORWARDER, function () {
      // The forwarder registers as soon as it listens: a second is ample.
      setTimeout(function () {
        // Every valid port is taken: the eleventh extension has no address of its own.
        register(NAME, '127.0.0.1:' + LAST, function (status, text) {
          process.stderr.write('crowd: the eleventh registration answered ' + status + ' ' + text + '\n');
          var outcome = status === 200 ? 'accepted' : 'refused';
          process.stdout.write('[Extension]eleventh registration ' + outcome + '\n');
        });
      }, 1000);
    });
  });
}

function listenFrom(port) {
  if (port > LAST) {
    eleventh();
    return;
  }
  var server = http.createServer(serve);
  server.once('error', function () {
    listenFrom(port + 1);
  });
  server.listen(port, '127.0.0.1', function () {
    register(NAME, '127.0.0.1:' + port, function (status) {
      complete({ registered: status });
    });
  });
}

listenFrom(FIRST);
