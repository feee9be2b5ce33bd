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

// Answers the traceIds each of the three extensions (127.0.0.1:8081-8083) recorded so far.
exports.handler = function (event, context, callback) {
  fetch(8081, '/observed', function (error, alpha) {
    if (error) {
      callback(error);
      return;
    }
    fetch(8082, '/observed', function (error2, beta) {
      if (error2) {
        callback(error2);
        return;
      }
      fetch(8083, '/observed', function (error3, gamma) {
        if (error3) {
          callback(error3);
          return;
        }
        callback(null, { alpha: alpha.traceIds, beta: beta.traceIds, gamma: gamma.traceIds });
      });
    });
  });
};
