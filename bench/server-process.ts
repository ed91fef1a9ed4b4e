import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ServerCounters } from './variants/variant';

/** A variant's server running in a child process. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** CPU time used so far by the server process (µs). */
  cpuMicros(): Promise<number>;
  /** The variant's counters so far (undefined when it keeps none). */
  counters(): Promise<ServerCounters | undefined>;
  stop(): Promise<void>;
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string } & T): void => {
      if (m.type !== type) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`bench server exited (code ${code}) before sending "${type}"`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Starts the named variant's server in its own Node process (so it never shares the load generator's loop). */
export async function startServerProcess(variant: string, databaseUrl: string): Promise<ServerProcess> {
  const child = fork(path.join(__dirname, 'server-child.ts'), [variant], {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server process there (for `node --cpu-prof` readers).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])],
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await nextMessage<{ port: number }>(child, 'ready');
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    async cpuMicros() {
      const reply = nextMessage<{ usage: NodeJS.CpuUsage }>(child, 'cpu');
      child.send({ type: 'cpu' });
      const { usage } = await reply;
      return usage.user + usage.system;
    },
    async counters() {
      const reply = nextMessage<{ counters?: ServerCounters }>(child, 'counters');
      child.send({ type: 'counters' });
      return (await reply).counters;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
