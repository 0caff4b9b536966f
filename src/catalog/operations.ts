import type { EntityDefinition, GraphVersion } from '../schemas/entities';
import {
  ANY_IDENTITY,
  type GraphIdentityKind,
  type GraphPermission,
  type OperationKind,
  type Resource,
  RESOURCES,
} from './resources';

export type { GraphIdentityKind, GraphPermission, OperationKind, Resource };

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One facade operation, derived from its resource. */
export interface Operation {
  /** Function name and API operation id, e.g. `UpdateMobileAppInstallSummary`. */
  readonly name: string;
  readonly summary: string;
  readonly kind: OperationKind;
  readonly method: HttpMethod;
  /** Route under the `/api` prefix, with `{param}` placeholders. */
  readonly route: string;
  /** Graph path under the version segment, with the same placeholders as `route`. */
  readonly graphPath: string;
  /** Graph versions the operation exists in; the first is the default. */
  readonly graphVersions: readonly GraphVersion[];
  readonly entity: EntityDefinition;
  /** The permission the identity needs; named in the error when Graph refuses. */
  readonly permission: GraphPermission;
  /** The identities Graph accepts for it (its page's permissions table). */
  readonly identities: readonly GraphIdentityKind[];
  readonly resource: Resource;
}

/** The method each kind is served with. */
export const METHOD_OF_KIND: Readonly<Record<OperationKind, HttpMethod>> = {
  read: 'GET',
  list: 'GET',
  update: 'PATCH',
  create: 'POST',
  delete: 'DELETE',
};

const VERB_OF_KIND: Readonly<Record<OperationKind, string>> = {
  read: 'Get',
  list: 'List',
  update: 'Update',
  create: 'Create',
  delete: 'Delete',
};

/** Kinds that address one item of a collection (by its item parameter) rather than the collection. */
const ITEM_KINDS: readonly OperationKind[] = ['read', 'update', 'delete'];

function operationOf(resource: Resource, kind: OperationKind): Operation {
  const onItem = resource.itemParameter !== undefined && ITEM_KINDS.includes(kind);
  const itemSegment = onItem ? `/{${resource.itemParameter}}` : '';
  const noun = kind === 'list' ? (resource.pluralNoun ?? resource.noun) : resource.noun;
  const phrase = kind === 'list' ? resource.phrases.all : kind === 'create' ? resource.phrases.new : resource.phrases.one;
  const betaOnly = !resource.graphVersions.includes('v1.0') ? ' (Graph beta)' : '';
  return {
    name: `${VERB_OF_KIND[kind]}${noun}`,
    summary: `${VERB_OF_KIND[kind]} ${phrase ?? resource.phrases.one}${betaOnly}`,
    kind,
    method: METHOD_OF_KIND[kind],
    route: `${resource.route}${itemSegment}`,
    graphPath: `${resource.graphPath}${itemSegment}`,
    graphVersions: resource.graphVersions,
    entity: resource.entity,
    permission: resource.permission,
    identities: resource.identities?.[kind] ?? ANY_IDENTITY,
    resource,
  };
}

/** Whether an operation reads a body: creates and updates. */
export const takesBody = (operation: Operation): boolean => operation.kind === 'update' || operation.kind === 'create';

/** Whether Graph accepts an application identity (the facade's managed identity) for the operation. */
export const acceptsApplication = (operation: Operation): boolean => operation.identities.includes('application');

/** Whether Graph accepts a delegated identity (the app acting for a signed-in user) for the operation. */
export const acceptsDelegated = (operation: Operation): boolean => operation.identities.includes('delegated');

/** Whether an operation changes Graph: every method but GET. */
export const isWrite = (operation: Operation): boolean => operation.method !== 'GET';

/** The operations of the given resources, each resource's in the order of its kinds. */
export function operationsOf(resources: readonly Resource[]): Operation[] {
  return resources.flatMap((resource) => resource.kinds.map((kind) => operationOf(resource, kind)));
}

/** Every facade operation. Registration, the local host, the docs and the tests read this list. */
export const CATALOG: readonly Operation[] = operationsOf(RESOURCES);

/**
 * The Functions route prefix (host.json `extensions.http.routePrefix`): every route of the app,
 * and every URL it writes, is under `/api`.
 */
export const ROUTE_PREFIX = 'api';

/** The route of a write the app finishes itself (202 Accepted): its status, then its final answer. */
export const OPERATION_ROUTE = 'operations/{operationId}';

/** The `{name}` placeholders of a route, in order. */
export function routeParameters(route: string): string[] {
  return [...route.matchAll(/\{([A-Za-z]+)\}/g)].map((match) => match[1] as string);
}

/** A route with its `{param}` placeholders replaced by the (already validated) values, each encoded. */
export function fillRoute(route: string, params: Readonly<Record<string, string>>): string {
  let filled = route;
  for (const name of routeParameters(route)) {
    filled = filled.replace(`{${name}}`, encodeURIComponent(params[name] ?? ''));
  }
  return filled;
}

/** The path of an operation on the resource's example parents (a collection's item left as its placeholder). */
export function examplePath(operation: Operation): string {
  return (
    fillRoute(operation.resource.route, operation.resource.exampleParameters) +
    operation.route.slice(operation.resource.route.length)
  );
}

/** The operation of this name in the catalog; throws when there is none. */
export function operationNamed(name: string, catalog: readonly Operation[] = CATALOG): Operation {
  const operation = catalog.find((candidate) => candidate.name === name);
  if (!operation) throw new Error(`no operation ${name} in the catalog`);
  return operation;
}

/** The distinct routes of the catalog with the methods each one serves. */
export function catalogRoutes(catalog: readonly Operation[] = CATALOG): Map<string, HttpMethod[]> {
  const routes = new Map<string, HttpMethod[]>();
  for (const operation of catalog) {
    routes.set(operation.route, [...(routes.get(operation.route) ?? []), operation.method]);
  }
  return routes;
}
