'use strict';

function call(context, name) {
  if (typeof context[name] !== 'function') return 'no method ' + name;
  var value = context[name]();
  return value === undefined ? 'undefined' : value;
}

exports.handler = function (event, context, callback) {
  callback(null, {
    workflowID: call(context, 'getWorkflowID'),
    workflowRunID: call(context, 'getWorkflowRunID'),
    workflowStateID: call(context, 'getWorkflowStateID'),
  });
};
