import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import winston from 'winston';
import { requestLog } from '../../../src/http/request-log';

/** Runs one request through the middleware and ends it. */
async function serve(level: string): Promise<{ lines: Record<string, unknown>[]; headers: Record<string, string>; nexts: number }> {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ objectMode: true, write: (info: Record<string, unknown>, _enc, done) => (lines.push(info), done()) });
  const logger = winston.createLogger({ level, transports: [new winston.transports.Stream({ stream })] });
  const headers: Record<string, string> = {};
  const res = Object.assign(new EventEmitter(), { locals: {} as Record<string, unknown>, statusCode: 200, setHeader: (k: string, v: string) => (headers[k] = v) });
  const req = { get: () => 'req-1', method: 'GET', path: '/Patient/p1' };
  let nexts = 0;
  requestLog(logger)(req as unknown as Request, res as unknown as Response, (() => nexts++) as NextFunction);
  res.emit('finish');
  await new Promise((resolve) => setImmediate(resolve)); // winston hands lines to its transports asynchronously
  return { lines, headers, nexts };
}

describe('request log', () => {
  it('logs one line per request, without its query string, when the http level is on', async () => {
    const { lines, headers, nexts } = await serve('http');
    expect(nexts).toBe(1);
    expect(headers['X-Request-Id']).toBe('req-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'http', message: 'request', requestId: 'req-1', method: 'GET', path: '/Patient/p1', status: 200 });
  });

  it('still names the request but builds no line below the http level (production logs at info)', async () => {
    const { lines, headers, nexts } = await serve('info');
    expect(nexts).toBe(1);
    expect(headers['X-Request-Id']).toBe('req-1');
    expect(lines).toHaveLength(0);
  });
});
