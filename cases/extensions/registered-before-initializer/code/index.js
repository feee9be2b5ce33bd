'use strict';

var http = require('http');

// What the extension said when the module was loaded and when the initializer asked: its
// state, or why it did not answer (null: no answer yet).
var seen = { atLoad: null, atInitializer: null };
var loadAnswered = [];

// GETs http://127.0.0.1:PORT/PATH, served by an extension of this instance, and calls
// done(value) with its JSON answer, or with {error} saying why there is none.
function fetch(port, path, done) {
  http.get({ hostname: '127.0.0.1', port: port, path: path }, function (response) {
    var chunks = [];
    response.on('data', function (chunk) {
      chunks.push(chunk);
    });
    response.on('end', function () {
      var text = Buffer.concat(chunks).toString('utf8');
      try {
        done(JSON.parse(text));
      } catch (error) {
        done({ error: '127.0.0.1:' + port + path + ' answered ' + text });
      }
    });
  }).on('error', function (error) {
    done({ error: 'nothing answers on 127.0.0.1:' + port + ': ' + error.message });
  });
}

// The guide's "initialization code" is the code outside the handler: the module's own code
// and the initializer each ask the extension (127.0.0.1:8081) how its registration stands.
// The answers, whatever they are, go to the handler rather than failing the start.
fetch(8081, '/state', function (value) {
  seen.atLoad = value;
  loadAnswered.forEach(function (done) {
    done();
  });
  loadAnswered = [];
});

exports.initializer = function (context, callback) {
  fetch(8081, '/state', function (value) {
    seen.atInitializer = value;
    callback(null, '');
  });
};

exports.handler = function (event, context, callback) {
  if (seen.atLoad !== null) {
    callback(null, seen);
    return;
  }
  loadAnswered.push(function () {
    callback(null, seen);
  });
};
