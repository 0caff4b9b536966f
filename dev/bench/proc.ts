import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A process's CPU time and memory from /proc, read by the benchmark around a measurement. /proc
 * rather than a package such as pidusage: it is exact (kernel counters, not a sampled percentage)
 * and needs no dependency. Linux only, as is the benchmark.
 */

/** Kernel clock ticks per second, the unit of utime and stime; 100 on practically every Linux. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU time the process has used since it started, in milliseconds. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after
  // its closing parenthesis, where field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export interface Memory {
  /** Resident set size now. */
  readonly rssMiB: number;
  /** The peak resident set size since the process started (VmHWM, the "high water mark"). */
  readonly peakMiB: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}
