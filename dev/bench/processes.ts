import type { ChildProcess } from 'node:child_process';

import { type HostProcess, startHostProcess } from '../host-process';

/**
 * Every process the benchmark starts is registered here when it starts and stopped by
 * `stopAll` (main.ts calls it in `finally` and on SIGINT/SIGTERM), so that a failed phase leaves
 * nothing running. Phases that stop their own processes early unregister them by stopping them.
 */
export class Processes {
  private readonly running = new Map<number, { name: string; stop: () => Promise<void> }>();
  private nextId = 0;

  /** Registers a stop function; returns a stop that runs it once and unregisters it. */
  add(name: string, stop: () => Promise<void>): () => Promise<void> {
    const id = this.nextId++;
    this.running.set(id, { name, stop });
    return async () => {
      if (!this.running.delete(id)) return;
      await stop();
    };
  }

  /** Stops everything still registered, newest first; one that fails to stop does not keep the others up. */
  async stopAll(): Promise<void> {
    const entries = [...this.running.entries()].reverse();
    this.running.clear();
    for (const [, { name, stop }] of entries) {
      await stop().catch((error: unknown) => console.error(`could not stop ${name}: ${(error as Error).message}`));
    }
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`: a stop never hangs the benchmark. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A host under load, with its pid (for /proc) and its base URL on 127.0.0.1. */
export interface BenchHost {
  readonly pid: number;
  /** `http://127.0.0.1:<port>/api`: the numeric address, so that no connection waits on name lookup. */
  readonly apiUrl: string;
  /** The last few kilobytes the host wrote, for an error message. */
  tail(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

const TAIL_CHARS = 4000;

/**
 * A built host process (dev/host-process.ts) that the benchmark can load for minutes. The
 * facade writes a log line per request; startHostProcess keeps all output in one string and
 * searches it on every chunk, which under load would grow without bound and cost the load
 * generator's own CPU. Once the host listens, its output is read and dropped, keeping a tail.
 */
export async function startBenchHost(
  name: string,
  environment: Record<string, string>,
  processes: Processes,
): Promise<BenchHost> {
  const host: HostProcess = await startHostProcess(environment);
  const stop = processes.add(name, () => stopHost(host));
  let tail = host.output().slice(-TAIL_CHARS);
  for (const stream of [host.child.stdout, host.child.stderr]) {
    stream?.removeAllListeners('data');
    stream?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    });
  }
  const pid = host.child.pid;
  if (pid === undefined) throw new Error(`${name}: the host has no pid`);
  return {
    pid,
    apiUrl: host.baseUrl.replace('//localhost:', '//127.0.0.1:'),
    tail: () => tail,
    alive: () => host.child.exitCode === null && host.child.signalCode === null,
    stop,
  };
}

/** HostProcess.stop waits for the exit without a limit; this one kills a host that ignores SIGTERM. */
function stopHost(host: HostProcess): Promise<void> {
  const stopped = host.stop();
  const killed = new Promise<void>((resolve) =>
    setTimeout(() => {
      host.child.kill('SIGKILL');
      resolve();
    }, 5000).unref(),
  );
  return Promise.race([stopped, killed]);
}

/** Throws with the host's last output if it has died: figures from a dead host would mean nothing. */
export function assertAlive(name: string, host: BenchHost): void {
  if (!host.alive()) throw new Error(`${name} (pid ${host.pid}) exited during the benchmark:\n${host.tail()}`);
}
