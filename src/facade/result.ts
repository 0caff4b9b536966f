import type { HttpResponseInit } from '@azure/functions';

/**
 * The one result shape of every step of an operation: a value to go on with, or the facade's
 * response that ends the request (a problem, a replay, a refusal).
 */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: HttpResponseInit };

export const succeed = <T>(value: T): Result<T> => ({ ok: true, value });
export const stopWith = (response: HttpResponseInit): Result<never> => ({ ok: false, response });
