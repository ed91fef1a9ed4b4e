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

/** CPU used between two samples by the processes present in both (µs). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, micros] of after) {
    const start = before.get(pid);
    if (start !== undefined) total += micros - start;
  }
  return total;
}
