import autocannon from 'autocannon';

/** What one measured run produced. */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** A new path (and headers) for every request: a random patient each time. */
  next: () => { path: string; headers?: Record<string, string> };
}

/** Runs autocannon against a server for a duration, each request on a freshly drawn path. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [{
      method: 'GET',
      setupRequest: (request) => {
        const { path, headers } = options.next();
        return { ...request, path, headers: headers ? { ...request.headers, ...headers } : request.headers };
      },
    }],
  });
  const requests = result.requests.total;
  const seconds = result.duration;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
