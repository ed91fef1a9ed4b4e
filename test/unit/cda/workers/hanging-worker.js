// A CDA plan worker that never answers (a document whose parsing never ends): for the job timeout and queue tests.
const { parentPort } = require('node:worker_threads');
parentPort.on('message', () => {
  for (;;); // busy for ever, as a parser stuck on a hostile document would be: only terminate() ends it
});
