// autocannon ships no types and @types/autocannon is not a dependency: this declares only the part
// of its API that load.ts uses (options, the tracker it returns, and the result's totals).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  import type { ConnectionOptions } from 'node:tls';

  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      requests?: { method?: string; path?: string; headers?: Record<string, string>; body?: string }[];
      /** Seconds before a request counts as a timeout. */
      timeout?: number;
      /** Milliseconds between autocannon's own samples; also how late a run may notice its end. */
      sampleInt?: number;
      servername?: string;
      tlsOptions?: ConnectionOptions;
    }
    interface Result {
      /** Seconds from the clients' start to the run's end, as autocannon measured it. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
    }
    /** The tracker: emits 'response' (client, statusCode, bytes, responseTimeMs) and is awaitable. */
    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
