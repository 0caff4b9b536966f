/** How one attempt to reach Graph ended: Graph's status, or why there was none. */
export type AttemptEnding =
  | { readonly kind: 'answer'; readonly status: number; readonly retryAfter?: string | undefined }
  /** The connection failed or broke before an answer was read. */
  | { readonly kind: 'network' }
  /** No answer within the time budget. */
  | { readonly kind: 'timeout' }
  /** No token could be had, so nothing was sent. */
  | { readonly kind: 'token' };
