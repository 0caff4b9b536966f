import { randomUUID } from 'node:crypto';

import {
  COMPLIANCE_USER_OVERVIEW,
  defaultsOf,
  type EntityType,
  INSTALL_SUMMARY,
  USER_STATUS,
  USER_SUMMARY,
  valueProblem,
  type Version,
} from './model';
import type { Behaviour } from './runtime';
import type { Entity, GraphState } from './state';

/**
 * Graph's own handling of an admitted request, as functions over the emulator's state: version,
 * role, routing, validation as Graph's deserialiser does it, apply, and the answer. It is written
 * from Graph's documented behaviour, independently of the facade's catalog and schemas, so that
 * it can catch their mistakes.
 */

/** An answer of the emulated Graph. */
export interface GraphReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** A refusal in Graph's terms: status, error code and message. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What Graph knows of a request once it is admitted. */
export interface CallContext {
  readonly version: Version;
  readonly method: string;
  readonly body: unknown;
  /** The roles the app holds now (applied at once; real Entra applies a change with the next token). */
  readonly roles: readonly string[];
  readonly preferRepresentation: boolean;
  readonly behaviour: Behaviour;
  /** Paging tokens issued so far, as they arrive on the wire, and the offset each names. */
  readonly skipTokens: Map<string, number>;
  /** The token is an application's own (no user): some operations refuse those. */
  readonly appOnly: boolean;
  /**
   * For a delegated token: the user's delegated permissions (`scp`), and whether the user's own
   * Intune role allows what is asked (Graph checks a user's Intune RBAC besides the token).
   */
  readonly user?: { readonly scopes: readonly string[]; readonly intuneAllowed: boolean };
  readonly url: URL;
  /** The emulated Graph root, for OData links. */
  readonly graphUrl: string;
}

const MAX_PAGE = 100;

/** A query parameter's value as it came on the wire, not decoded; undefined when absent. */
function rawQueryValue(url: URL, name: string): string | undefined {
  for (const pair of url.search.slice(1).split('&')) {
    const equals = pair.indexOf('=');
    const key = (equals < 0 ? pair : pair.slice(0, equals)).replace(/^%24/i, '$');
    if (key.toLowerCase() === name.toLowerCase()) return equals < 0 ? '' : pair.slice(equals + 1);
  }
  return undefined;
}

/**
 * A paging token built from data as Intune's are: the last item's keys, quoted, with `=`,
 * spaces, a `+` and whatever the data holds (non-ASCII too), some of it percent-encoded and some
 * raw, as it appears in Graph's nextLink.
 */
function intuneSkipToken(last: Entity, nextOffset: number): string {
  const upn = encodeURIComponent(typeof last.userPrincipalName === 'string' ? last.userPrincipalName : '');
  const name = (typeof last.userDisplayName === 'string' ? last.userDisplayName : '').replace(/[&#%]/g, '');
  return `LastUserPrincipalName%3d%27${upn}%27 LastId='${String(last.id)}' Name=${name}+${nextOffset}`;
}

/** Graph's answer to an admitted request: its version checked, then routed; throws GraphError on a refusal. */
export function answerGraph(
  state: GraphState,
  version: string,
  segments: string[],
  call: Omit<CallContext, 'version'>,
): GraphReply {
  if (version !== 'v1.0' && version !== 'beta') throw new GraphError(400, 'BadRequest', `Invalid version: ${version}`);
  return route(state, segments, { ...call, version });
}

/** Graph's routing for the emulated paths; anything else is an unknown segment, as in Graph. */
function route(state: GraphState, segments: string[], context: CallContext): GraphReply {
  const [area, collection, parentId, navigation, itemId, ...rest] = segments;
  const unknownSegment = (segment: string | undefined) =>
    new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment ?? ''}'.`);
  if (rest.length > 0) throw unknownSegment(rest[0]);

  if (area === 'deviceAppManagement' && collection === 'mobileAppConfigurations' && parentId) {
    const configuration = state.mobileAppConfigurations.get(parentId);
    if (navigation === 'userStatusSummary' && itemId === undefined) {
      requireRole(context, 'DeviceManagementApps');
      if (!configuration) throw notFound(parentId);
      return singleton(USER_SUMMARY, configuration.userStatusSummary, context, segments);
    }
    if (navigation === 'userStatuses') {
      requireRole(context, 'DeviceManagementApps');
      if (!configuration) throw notFound(parentId);
      return itemId === undefined
        ? statusCollection(configuration.userStatuses, context, segments)
        : statusItem(configuration.userStatuses, itemId, context, segments);
    }
    throw unknownSegment(navigation);
  }
  if (
    area === 'deviceAppManagement' &&
    collection === 'mobileApps' &&
    parentId &&
    navigation === 'installSummary' &&
    itemId === undefined
  ) {
    // Current beta metadata no longer has this navigation; its update page said application tokens are refused.
    if (context.version === 'v1.0' || context.behaviour.installSummaryRemoved) throw unknownSegment('installSummary');
    if (context.behaviour.installSummaryDelegatedOnly && context.appOnly && context.method !== 'GET') {
      throw new GraphError(
        403,
        'Forbidden',
        'Application-only tokens are not supported for this operation; use a delegated (user) token.',
      );
    }
    requireRole(context, 'DeviceManagementApps');
    const app = state.mobileApps.get(parentId);
    if (!app) throw notFound(parentId);
    return singleton(INSTALL_SUMMARY, app.installSummary, context, segments);
  }
  if (
    area === 'deviceManagement' &&
    collection === 'deviceCompliancePolicies' &&
    parentId &&
    navigation === 'userStatusOverview' &&
    itemId === undefined
  ) {
    requireRole(context, 'DeviceManagementConfiguration');
    const policy = state.deviceCompliancePolicies.get(parentId);
    if (!policy) throw notFound(parentId);
    return singleton(COMPLIANCE_USER_OVERVIEW, policy.userStatusOverview, context, segments);
  }
  throw unknownSegment(navigation ?? collection ?? area);
}

/**
 * The permission check: an application's roles (as the emulator holds them now), or a user's
 * delegated scopes and then the user's own Intune role, which Graph checks as well.
 */
function requireRole(context: CallContext, area: 'DeviceManagementApps' | 'DeviceManagementConfiguration'): void {
  const write = context.method !== 'GET';
  const accepted = write ? [`${area}.ReadWrite.All`] : [`${area}.Read.All`, `${area}.ReadWrite.All`];
  if (context.user) {
    if (!context.user.scopes.some((scope) => accepted.includes(scope)))
      throw new GraphError(
        403,
        'Forbidden',
        `Missing scope permissions on the request. API requires one of '${accepted.join(', ')}'. Scopes on the request '${context.user.scopes.join(', ')}'`,
      );
    if (!context.user.intuneAllowed)
      throw new GraphError(
        403,
        'Forbidden',
        'The user is not authorized to perform this operation: no Intune role of the user allows it.',
      );
    return;
  }
  if (!context.roles.some((role) => accepted.includes(role))) {
    throw new GraphError(
      403,
      'Forbidden',
      `Application is not authorized to perform this operation. Application must have one of the following scopes: ${accepted.join(', ')}`,
    );
  }
}

export const notFound = (id: string) => new GraphError(404, 'ResourceNotFound', `Resource with id '${id}' was not found.`);

function view(type: EntityType, entity: Entity, context: CallContext, segments: string[], annotated = true): Entity {
  const properties = type.properties[context.version] ?? {};
  const shown: Entity = annotated
    ? {
        '@odata.context': `${context.graphUrl}/${context.version}/$metadata#${segments.join('/')}/$entity`,
        '@odata.type': `#microsoft.graph.${type.name}`,
      }
    : { '@odata.type': `#microsoft.graph.${type.name}` };
  shown.id = entity.id;
  for (const name of Object.keys(properties)) if (name in entity) shown[name] = entity[name];
  return shown;
}

/** Applies a write body to `target` the way Graph deserialises it: every problem is a 400. */
function applyWrite(type: EntityType, body: unknown, context: CallContext, target: Entity): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GraphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
  }
  const properties = type.properties[context.version] ?? {};
  const changes: Entity = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === '@odata.type') {
      if (value !== `#microsoft.graph.${type.name}` && value !== `microsoft.graph.${type.name}`) {
        throw new GraphError(400, 'BadRequest', `A type named '${String(value)}' could not be resolved by the model.`);
      }
      continue;
    }
    if (name.includes('@odata.') || name === 'id') continue;
    const property = properties[name];
    if (!property) {
      throw new GraphError(
        400,
        'BadRequest',
        `The property '${name}' does not exist on type 'microsoft.graph.${type.name}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
    }
    const problem = valueProblem(property, name, value);
    if (problem) throw new GraphError(400, 'BadRequest', problem);
    changes[name] = value;
  }
  Object.assign(target, changes);
}

function singleton(type: EntityType, entity: Entity, context: CallContext, segments: string[]): GraphReply {
  if (context.method === 'GET') return { status: 200, body: view(type, entity, context, segments) };
  if (context.method === 'PATCH') {
    applyWrite(type, context.body, context, entity);
    return context.preferRepresentation ? { status: 200, body: view(type, entity, context, segments) } : { status: 204 };
  }
  throw new GraphError(405, 'BadRequest', `The HTTP method '${context.method}' is not allowed for this resource.`);
}

function statusCollection(statuses: Map<string, Entity>, context: CallContext, segments: string[]): GraphReply {
  if (context.method === 'GET') {
    const top = Math.min(Number(context.url.searchParams.get('$top') ?? MAX_PAGE) || MAX_PAGE, MAX_PAGE);
    const token = rawQueryValue(context.url, '$skiptoken');
    const offset = token === undefined ? Number(context.url.searchParams.get('$skip') ?? 0) || 0 : context.skipTokens.get(token);
    // Intune's tokens are checked byte for byte: one altered on the way back names no page.
    if (offset === undefined) throw new GraphError(400, 'BadRequest', `The skip token '${token ?? ''}' is not valid.`);
    const all = [...statuses.values()];
    const page = all.slice(offset, offset + top).map((status) => view(USER_STATUS, status, context, segments, false));
    const body: Entity = {
      '@odata.context': `${context.graphUrl}/${context.version}/$metadata#${segments.join('/')}`,
      value: page,
    };
    const last = all[offset + top - 1];
    if (offset + top < all.length && last) {
      const next = `${context.graphUrl}/${context.version}/${segments.join('/')}?$top=${top}&$skiptoken=${intuneSkipToken(last, offset + top)}`;
      // Registered as it arrives on the wire: the link as any client's URL parser serialises it.
      context.skipTokens.set(rawQueryValue(new URL(next), '$skiptoken') as string, offset + top);
      body['@odata.nextLink'] = next;
    }
    return { status: 200, body };
  }
  if (context.method === 'POST') {
    // Graph returns every property of a new item, at its default where the create did not set it.
    const created: Entity = { ...defaultsOf(USER_STATUS), id: randomUUID() };
    applyWrite(USER_STATUS, context.body, context, created);
    statuses.set(created.id as string, created);
    const location = `${context.graphUrl}/${context.version}/${segments.join('/')}('${created.id as string}')`;
    return { status: 201, body: view(USER_STATUS, created, context, [...segments, '$entity']), headers: { location } };
  }
  throw new GraphError(405, 'BadRequest', `The HTTP method '${context.method}' is not allowed for this resource.`);
}

function statusItem(statuses: Map<string, Entity>, id: string, context: CallContext, segments: string[]): GraphReply {
  const status = statuses.get(id);
  if (!status) throw notFound(id);
  switch (context.method) {
    case 'GET':
      return { status: 200, body: view(USER_STATUS, status, context, segments) };
    case 'PATCH': {
      const updated = { ...status };
      applyWrite(USER_STATUS, context.body, context, updated);
      statuses.set(id, updated);
      return context.preferRepresentation
        ? { status: 200, body: view(USER_STATUS, updated, context, segments) }
        : { status: 204 };
    }
    case 'DELETE':
      statuses.delete(id);
      return { status: 204 };
    default:
      throw new GraphError(405, 'BadRequest', `The HTTP method '${context.method}' is not allowed for this resource.`);
  }
}
