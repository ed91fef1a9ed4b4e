/**
 * The real server in a child process for the crash test: configured by the environment (DATABASE_URL or
 * DATA_DIR, SMTP_URL, keys …), optionally seeds the crash fixture through its own audited repository
 * (CRASH_SEED=1), then prints `READY <fhirUrl>` on stdout. SIGTERM closes it cleanly; SIGKILL is the test.
 */
import type { Resource } from '@medplum/fhirtypes';
import { markSystemContext } from '../../src/access/access-hooks';
import { loadConfig } from '../../src/config';
import type { RequestContext } from '../../src/fhir/context';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { TRUE } from '../../src/store/sql';
import { crashFixture } from './crash-fixture';
import { RequestState } from '../../src/fhir/request-state';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { port: 0, host: '127.0.0.1', logLevel: 'silent' });
  const running = await startServer(config, { env: process.env, logger: createLogger('silent') });
  if (process.env.CRASH_SEED === '1') {
    const ctx: RequestContext = { requestId: 'crash-seed', access: TRUE, state: new RequestState() };
    markSystemContext(ctx);
    for (const resource of crashFixture() as Resource[]) await running.service.repo.update(ctx, resource);
  }
  process.on('SIGTERM', () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`READY ${running.fhirUrl}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
