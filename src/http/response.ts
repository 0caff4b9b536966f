/**
 * An HTTP answer as the app builds it: a status, plain lower-case headers and a text or byte
 * body. The Functions library takes it as it is (it is an `HttpResponseInit`), and the modules
 * that build answers need nothing of that library.
 */
export interface HttpAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** A JSON answer. */
export const jsonAnswer = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/**
 * The parts of an incoming request the app reads. The Functions library's `HttpRequest` has
 * them, and so does anything a test or the queue worker builds.
 */
export interface IncomingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  readonly body: ReadableStream<Uint8Array> | null;
}
