import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findVariant } from './variants';

/**
 * Child process entry: builds one variant's server, listens on 127.0.0.1:0, and answers the parent's
 * messages: `cpu` (this process's CPU time, to divide by the requests served), `counters` (the variant's, if any)
 * and `stop`.
 */
async function main(): Promise<void> {
  const variant = findVariant(process.argv[2]);
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl) throw new Error('BENCH_DATABASE_URL is not set');
  const built = await variant.build(databaseUrl);
  const server = createServer(built.handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (message: { type: string }) => {
    if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
    if (message.type === 'counters') process.send?.({ type: 'counters', counters: built.counters?.() });
    if (message.type === 'stop') {
      server.closeAllConnections();
      server.close(() => {
        void built.close().finally(() => process.exit(0));
      });
    }
  });
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
