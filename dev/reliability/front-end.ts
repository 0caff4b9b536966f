import { type HostProcess, startHostProcess } from '../host-process';

/**
 * The facade hosts of a run behind one front end, as the platform's front end spreads requests
 * over the live instances of an app: every URL (a route, or a `Location` one host gave) goes to
 * a live host, in turn. A host can be killed with SIGKILL and, after a while, replaced by a new
 * one, which is how an instance dies and comes back on Flex Consumption.
 */
export interface FrontEnd {
  /** The URL of a facade route, e.g. `url('mobile-apps/x/install-summary')`. */
  url(path: string): string;
  /** Sends the request to a live host, whichever host's origin the URL names. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** Kills host `index` with SIGKILL while it answers a request, waits `downMs`, then starts its replacement. */
  killAndReplace(index: number, downMs: number): Promise<void>;
  /** Hosts killed so far. */
  readonly killed: number;
  stop(): Promise<void>;
}

export async function startFrontEnd(count: number, environment: Record<string, string>): Promise<FrontEnd> {
  const hosts: (HostProcess | undefined)[] = [];
  try {
    for (let index = 0; index < count; index++) hosts.push(await startHostProcess(environment));
  } catch (error) {
    await Promise.all(hosts.map((host) => host?.stop() ?? Promise.resolve()));
    throw error;
  }
  const firstBaseUrl = (hosts[0] as HostProcess).baseUrl;
  let turn = 0;
  let killed = 0;

  // Requests each host is answering: a host is killed while it holds some, so that the kill cuts them off.
  const inFlight = new Map<HostProcess, number>();

  const liveHostIndex = (): number => {
    const live = hosts.flatMap((host, index) => (host ? [index] : []));
    if (live.length === 0) throw new Error('no live facade host');
    return live[turn++ % live.length] as number;
  };

  return {
    url: (path) => `${firstBaseUrl}/${path}`,
    async fetch(url, init) {
      const target = new URL(url);
      const index = liveHostIndex();
      const origin = new URL((hosts[index] as HostProcess).baseUrl);
      target.protocol = origin.protocol;
      target.host = origin.host;
      const host = hosts[index] as HostProcess;
      inFlight.set(host, (inFlight.get(host) ?? 0) + 1);
      try {
        return await fetch(target, init);
      } finally {
        inFlight.set(host, (inFlight.get(host) ?? 1) - 1);
      }
    },
    async killAndReplace(index, downMs) {
      const host = hosts[index];
      if (!host) throw new Error(`no host ${index}`);
      // Up to 5 s for the host to be answering a request, so that the kill cuts one off.
      for (let waited = 0; waited < 5000 && !inFlight.get(host); waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      // Out of the front end first, as the platform stops routing to an instance it lost.
      hosts[index] = undefined;
      const exited = new Promise<void>((resolve) => host.child.once('exit', () => resolve()));
      host.child.kill('SIGKILL');
      await exited;
      killed += 1;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      hosts[index] = await startHostProcess(environment);
    },
    get killed() {
      return killed;
    },
    async stop() {
      await Promise.all(hosts.map((host) => host?.stop() ?? Promise.resolve()));
    },
  };
}
