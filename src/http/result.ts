import type { HttpAnswer } from './response';

/**
 * The one result shape of every step of an operation: a value to go on with, or the answer that
 * ends the request (a problem, a replay, a refusal).
 */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: HttpAnswer };

export const succeed = <T>(value: T): Result<T> => ({ ok: true, value });
export const stopWith = (response: HttpAnswer): Result<never> => ({ ok: false, response });
