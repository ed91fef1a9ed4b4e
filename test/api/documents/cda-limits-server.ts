/**
 * The documents app in a process of its own, for cda-submission-limits-process.test.ts: started with `node --import tsx`,
 * so that its CDA plan workers run (Jest runs no worker script) and its memory is measured apart from the test's. The
 * CDA settings come from the environment (CDA_PLAN_WORKERS, CDA_WORKER_MEMORY_MB, CDA_MARKUP_LIMIT …) as the server
 * reads them; it opens the French test patient's record, then prints `READY <origin> <patientId>` (the FHIR API under /fhir). SIGTERM closes it
 * (its test database dropped).
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../src/config';
import { createDocumentsApp, createFrenchTestPatient } from './documents-app';

async function main(): Promise<void> {
  const { cdaPlanWorkers, cdaWorkerMemoryMb, cdaMarkupLimit, cdaJobTimeoutMs, cdaQueueLimit } = loadConfig(process.env);
  const app = await createDocumentsApp([], { cdaPlanWorkers, cdaWorkerMemoryMb, cdaMarkupLimit, cdaJobTimeoutMs, cdaQueueLimit });
  const patient = await createFrenchTestPatient(app);
  const server = app.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`READY http://127.0.0.1:${(server.address() as AddressInfo).port} ${patient}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`cda-limits-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
