import * as v from 'valibot';

import { type Operation, routeParameters } from '../catalog/operations';
import { type FieldError, validationProblem } from '../http/problem';
import { type Result, stopWith, succeed } from '../http/result';
import type { JsonObject } from '../json';
import { DATE_TIME_OFFSET, dateTimeOffsetProblem } from '../schemas/date-time-offset';
import { GRAPH_VERSIONS, type GraphVersion, writeSchema } from '../schemas/entities';
import { pathId } from '../schemas/primitives';
import { pageSize, skipCount, skipToken } from '../schemas/request-parameters';

/** A request that passed validation, ready to be sent to Graph. */
export interface ValidRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly version: GraphVersion;
  readonly paging: Paging;
  readonly body: JsonObject | undefined;
  /** The caller asked with `?respond=async` for the app to finish the write itself (202 Accepted). */
  readonly respondAsync: boolean;
}

export interface Paging {
  readonly top?: number;
  readonly skipToken?: string;
  readonly skip?: number;
}

/** Checks path parameters, the query and the body together, so that a caller sees every problem at once (422). */
export function validateRequest(
  operation: Operation,
  params: Readonly<Record<string, string>>,
  query: URLSearchParams,
  body: JsonObject | undefined,
): Result<ValidRequest> {
  const errors: FieldError[] = [];
  const validParams: Record<string, string> = {};
  for (const name of routeParameters(operation.route)) {
    const value = params[name] ?? '';
    const result = v.safeParse(pathId, value);
    if (result.success) validParams[name] = result.output;
    else errors.push({ parameter: name, detail: `${name} ${result.issues[0].message}` });
  }

  const version = resolveVersion(operation, query.get('graphVersion'), errors);
  const paging = operation.kind === 'list' ? readPaging(query, errors) : {};
  const validBody = body && version ? validateBody(operation, version, body, errors) : undefined;
  const respondAsync = readRespond(operation, query.get('respond'), errors);

  if (errors.length > 0 || !version) return stopWith(validationProblem(errors, acceptedProperties(operation, version)));
  return succeed({ params: validParams, version, paging, body: validBody, respondAsync });
}

/** `?respond=async`, for callers that can set only a URL: writes only, since a read is answered at once. */
function readRespond(operation: Operation, requested: string | null, errors: FieldError[]): boolean {
  if (requested === null) return false;
  if (requested === 'async' && operation.method !== 'GET') return true;
  errors.push({
    parameter: 'respond',
    detail:
      operation.method === 'GET'
        ? 'respond=async applies to writes only; a read is answered at once. Leave it out.'
        : 'respond must be async (or be left out).',
  });
  return false;
}

function resolveVersion(operation: Operation, requested: string | null, errors: FieldError[]): GraphVersion | undefined {
  const [defaultVersion] = operation.graphVersions;
  if (requested === null) return defaultVersion;
  const known = (GRAPH_VERSIONS as readonly string[]).includes(requested);
  if (known && operation.graphVersions.includes(requested as GraphVersion)) return requested as GraphVersion;
  const accepted = operation.graphVersions.join(' or ');
  errors.push({
    parameter: 'graphVersion',
    detail: known
      ? `${operation.summary} exists only in Graph ${accepted}; use graphVersion=${defaultVersion} or leave it out.`
      : `graphVersion must be ${accepted}.`,
  });
  return undefined;
}

function readPaging(query: URLSearchParams, errors: FieldError[]): Paging {
  const paging: { top?: number; skipToken?: string; skip?: number } = {};
  const read = <T>(name: string, schema: v.GenericSchema<string, T>, store: (value: T) => void) => {
    const raw = query.get(name);
    if (raw === null) return;
    const result = v.safeParse(schema, raw);
    if (result.success) store(result.output);
    else errors.push({ parameter: name, detail: `${name} ${result.issues[0].message}` });
  };
  read('top', pageSize, (value) => (paging.top = value));
  read('skipToken', skipToken, (value) => (paging.skipToken = value));
  read('skip', skipCount, (value) => (paging.skip = value));
  return paging;
}

/** RFC 6901 pointer to a body member. */
export function pointerTo(path: readonly (string | number)[]): string {
  return path.map((key) => `/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

const isAnnotation = (name: string) => name.includes('@odata.');

/**
 * Validates a write body against the entity's schema for the version. Rules that span the whole
 * body live here rather than in the schema, so that the schemas stay convertible to JSON Schema:
 * `id` and OData annotations are dropped (a body read with GET can be sent back), a foreign
 * `@odata.type` is refused, every unknown property is named, and an update must change something.
 */
function validateBody(
  operation: Operation,
  version: GraphVersion,
  body: JsonObject,
  errors: FieldError[],
): JsonObject | undefined {
  const entity = operation.entity;
  const known = entity.properties[version] ?? {};
  const kept: JsonObject = {};
  const before = errors.length;

  for (const [name, value] of Object.entries(body)) {
    if (name === '@odata.type') {
      if (value !== entity.odataType && value !== entity.odataType.slice(1)) {
        errors.push({ pointer: pointerTo([name]), detail: `@odata.type must be ${entity.odataType} (or be left out).` });
      }
    } else if (name === 'id' || isAnnotation(name)) {
      // Read-only in Graph; accepted so that a body read with GET can be sent back unchanged.
    } else if (Object.hasOwn(known, name)) {
      kept[name] = value;
    } else {
      errors.push({ pointer: pointerTo([name]), detail: unknownPropertyDetail(operation, version, name) });
    }
  }

  const mode = operation.kind === 'create' ? 'create' : 'update';
  const parsed = v.safeParse(writeSchema(entity, version, mode), kept, { abortEarly: false });
  if (!parsed.success) {
    const reported = new Set<string>();
    for (const issue of parsed.issues) {
      const path = (issue.path ?? []).map((item) => item.key as string | number);
      const pointer = pointerTo(path);
      // One error per member: a value failing two checks of one rule is one problem to the caller.
      if (reported.has(pointer)) continue;
      reported.add(pointer);
      const name = path.length > 0 ? String(path[0]) : '';
      const detail =
        issue.kind === 'schema' && issue.input === undefined
          ? `${name} is required`
          : (issue.requirement === DATE_TIME_OFFSET || issue.type === 'iso_timestamp') && typeof issue.input === 'string'
            ? `${name} ${dateTimeOffsetProblem(issue.input)} (like 2016-12-31T23:58:21.6459442-08:00)`
            : `${name} ${issue.message}`;
      errors.push({ pointer, detail });
    }
  }
  if (mode === 'update' && Object.keys(kept).length === 0 && errors.length === before) {
    errors.push({ pointer: '', detail: `Send at least one property of ${entity.name} to change.` });
  }
  return errors.length === before ? kept : undefined;
}

function unknownPropertyDetail(operation: Operation, version: GraphVersion, name: string): string {
  const elsewhere = GRAPH_VERSIONS.filter(
    (other) => other !== version && Object.hasOwn(operation.entity.properties[other] ?? {}, name),
  );
  if (elsewhere.length > 0) {
    return `${name} exists only in Graph ${elsewhere.join(', ')}; send it with graphVersion=${elsewhere[0]}.`;
  }
  // The accepted names are listed once, in the problem, not in every error.
  return `${name} is not a property of ${operation.entity.name}.`;
}

/** The body properties the operation accepts in this version, named once in a 422. */
function acceptedProperties(operation: Operation, version: GraphVersion | undefined): readonly string[] | undefined {
  if (!version || (operation.kind !== 'update' && operation.kind !== 'create')) return undefined;
  return Object.keys(operation.entity.properties[version] ?? {});
}
