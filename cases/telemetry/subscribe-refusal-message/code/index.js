'use strict';

var http = require('http');

// GETs http://127.0.0.1:PORT/PATH, served by an extension of this instance, and calls
// done(error, value) with its JSON answer.
function fetch(port, path, done) {
  http.get({ hostname: '127.0.0.1', port: port, path: path }, function (response) {
    var chunks = [];
    response.on('data', function (chunk) {
      chunks.push(chunk);
    });
    response.on('end', function () {
      var text = Buffer.concat(chunks).toString('utf8');
      var value;
      try {
        value = JSON.parse(text);
      } catch (error) {
        done(new Error('127.0.0.1:' + port + path + ' answered ' + text));
        return;
      }
      done(null, value);
    });
  }).on('error', function (error) {
    done(new Error('nothing answers on 127.0.0.1:' + port + ': ' + error.message));
  });
}

// Answers what the case's extension (127.0.0.1:8085) saw.
exports.handler = function (event, context, callback) {
  fetch(8085, '/observed', callback);
};
