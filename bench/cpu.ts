import fs from 'node:fs';
import os from 'node:os';

/** Busy CPU time of the whole machine so far (µs, all cores): every process, other users' included. */
export function machineBusyMicros(): number {
  let ms = 0;
  for (const cpu of os.cpus()) ms += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return ms * 1000;
}

const TICK_MICROS = 10_000; // USER_HZ is 100 on Linux.

/** CPU time so far (µs) of each process in `pids` that still exists, read from /proc (empty off Linux). */
export function processMicros(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MICROS); // utime, stime
    } catch {
      // Not there (ended, or not Linux).
    }
  }
  return out;
}

/** CPU time so far (µs) of every thread of process `pid`, by thread id, with the thread's name (empty off Linux). */
export function threadMicros(pid: number): Map<number, { name: string; micros: number }> {
  const out = new Map<number, { name: string; micros: number }>();
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { name, micros: (Number(fields[11]) + Number(fields[12])) * TICK_MICROS });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** CPU used by each thread of `pid` between two `threadMicros` samples (µs), busiest first; `main` is the pid's own. */
export function threadsBetween(pid: number, before: ReturnType<typeof threadMicros>, after: ReturnType<typeof threadMicros>): [string, number][] {
  const used: [string, number][] = [];
  for (const [tid, t] of after) {
    const micros = t.micros - (before.get(tid)?.micros ?? 0);
    if (micros > 0) used.push([tid === pid ? 'main' : `${t.name}#${tid}`, micros]);
  }
  return used.sort((a, b) => b[1] - a[1]);
}

/** CPU used between two samples by the processes present in both (µs). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, micros] of after) {
    const start = before.get(pid);
    if (start !== undefined) total += micros - start;
  }
  return total;
}

/**
 * CPU used by a changing set of processes over a period (µs): PostgreSQL backends come and go during a round (the
 * server's pool closes a connection idle for 10 s and opens another under the next burst), and a sample of the pids
 * at its start and end alone counted none of them in the audited variants' rounds (printed "postgres 0 µs/req").
 * `sample(pids)` is called at the start, every half second and at the end: a pid first seen after the start counts
 * from 0 (it was born during the period); a pid that ends between samples loses at most its last half second.
 */
export class CpuTracker {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private started = false;

  sample(pids: readonly number[]): void {
    for (const [pid, micros] of processMicros(pids)) {
      if (!this.first.has(pid)) this.first.set(pid, this.started ? 0 : micros);
      this.last.set(pid, micros);
    }
    this.started = true;
  }

  /** CPU used since the first sample (µs). */
  get used(): number {
    return cpuBetween(this.first, this.last);
  }
}
