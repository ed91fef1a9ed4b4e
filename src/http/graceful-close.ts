import type { Server } from 'node:http';

/**
 * Stops an HTTP server gracefully: no new connection is accepted, idle keep-alive connections are closed, requests
 * in flight may finish until `graceMs`; whatever is still open then is cut. Resolves once every connection is
 * closed, telling whether the deadline forced it.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<{ forced: boolean }> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A keep-alive connection becomes idle when its last request is answered: close it then, not at the deadline.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), graceMs)));
  const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (outcome === 'deadline') {
    server.closeAllConnections();
    await closed;
  }
  return { forced: outcome === 'deadline' };
}
