// A CDA plan worker whose parsing of a hostile document (one with "HUNGRY" in its first KB) grows its heap without end;
// any other document is answered at once with a plan only a worker gives (documentId worker|answered): for the worker
// memory limit tests.
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (request) => {
  if (Buffer.from(request.bytes).subarray(0, 1024).includes('HUNGRY')) {
    const hoard = [];
    for (;;) hoard.push(Array.from({ length: 100_000 }, (_, i) => ({ i })));
  }
  parentPort.postMessage({ id: request.id, json: JSON.stringify({ documentId: { system: 'worker', value: 'answered' } }) });
});
