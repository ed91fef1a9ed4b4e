import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

// The server's entry point compiles the FHIR validator before it listens. Left to the first write, the compile (3–6 s)
// was paid by whoever wrote first after a start: a patient's first withdrawal in the portal took 5.7 s, a first POST
// 8.9 s on a loaded machine (0.14 s once compiled at start).
test('npm start compiles validation before it listens, and says how long it took', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-start-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', CDA_PLAN_WORKERS: '0', DEV_AUTH: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const messages: { message: string; url?: string; ms?: number }[] = [];
    let buffered = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const entry = JSON.parse(line) as { message: string; url?: string; ms?: number };
          messages.push(entry);
          if (entry.message === 'listening') resolve(entry.url as string);
        }
      });
    });
    const order = messages.map((m) => m.message).filter((m) => m === 'validation compiled' || m === 'listening');
    expect(order).toEqual(['validation compiled', 'listening']);
    expect(messages.find((m) => m.message === 'validation compiled')?.ms).toEqual(expect.any(Number));
    // The body is read: an unread one keeps fetch's socket paused, so it never sees the server close it and kept the
    // Jest worker alive after the run ("A worker process has failed to exit gracefully").
    const metadata = await fetch(`${url}/metadata`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 180_000);
