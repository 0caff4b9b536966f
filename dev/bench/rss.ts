import type { BenchEmulator } from './emulator';
import { runLoad } from './load';
import { memoryOf } from './proc';
import { assertAlive, type Processes, startBenchHost } from './processes';
import { facadeEnvironment, facadeRequest } from './targets';

/**
 * Peak memory of a facade host under sustained load: a fresh host (so that its high-water mark
 * is this load's, not the throughput phase's), 32 keep-alive connections for a fixed time, half
 * reading and half writing, with VmRSS sampled from /proc and VmHWM read at the end.
 */

const CONNECTIONS = 32;
const SAMPLE_INTERVAL_MS = 250;

export interface RssFigures {
  /** VmHWM at the end: the true peak, start-up included (which is below the loaded peak). */
  readonly peakMiB: number;
  /** The highest VmRSS sampled during the load (a check on the peak). */
  readonly sampledMaxMiB: number;
  /** VmRSS once started, before any request. */
  readonly idleMiB: number;
  /** 2xx answers served during the load. */
  readonly requests: number;
  readonly failed: number;
}

export async function measurePeakRss(emulator: BenchEmulator, processes: Processes, seconds: number): Promise<RssFigures> {
  const host = await startBenchHost('RSS facade host', facadeEnvironment(emulator), processes);
  try {
    const idleMiB = memoryOf(host.pid).rssMiB;
    let sampledMaxMiB = idleMiB;
    const sampler = setInterval(() => {
      if (host.alive()) sampledMaxMiB = Math.max(sampledMaxMiB, memoryOf(host.pid).rssMiB);
    }, SAMPLE_INTERVAL_MS);
    try {
      const [reads, writes] = await Promise.all([
        runLoad(facadeRequest(host.apiUrl, 'GET'), CONNECTIONS / 2, seconds),
        runLoad(facadeRequest(host.apiUrl, 'PATCH'), CONNECTIONS / 2, seconds),
      ]);
      assertAlive('RSS facade host', host);
      const { peakMiB } = memoryOf(host.pid);
      return {
        peakMiB,
        sampledMaxMiB,
        idleMiB,
        requests: reads.ok + writes.ok,
        failed: reads.failed + writes.failed,
      };
    } finally {
      clearInterval(sampler);
      await emulator.control('DELETE', '/requests');
    }
  } finally {
    await host.stop();
  }
}
