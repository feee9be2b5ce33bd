exports.handler = function (event, context, callback) {
  console.log('between-the-lines');
  callback(null, 'done');
};
