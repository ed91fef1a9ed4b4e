import fs from 'node:fs';
import os from 'node:os';

/** Busy CPU time of the whole machine so far (µs, all cores): every process, other users' included. */
export function machineBusyMicros(): number {
  let ms = 0;
  for (const cpu of os.cpus()) ms += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return ms * 1000;
}

const TICK_MICROS = 10_000; // USER_HZ is 100 on Linux.

/**
 * CPU time of every `postgres` process so far (µs), read from /proc: the database's share of a request.
 * It counts all databases of the server, so other work on the machine shows up here too. 0 off Linux.
 */
export function postgresMicros(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  for (const pid of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MICROS; // utime, stime
    } catch {
      // The process ended while we read.
    }
  }
  return total;
}
