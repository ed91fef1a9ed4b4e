/**
 * `fetch` with the body read before it returns (status and headers stay readable). A body left unread keeps its
 * socket paused: it never sees the server close it, and the open socket kept the Jest worker from exiting after the
 * run ("A worker process has failed to exit gracefully").
 */
export async function fetchRead(...args: Parameters<typeof fetch>): Promise<Response> {
  const res = await fetch(...args);
  await res.arrayBuffer();
  return res;
}
