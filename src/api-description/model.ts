import type { Example } from '../catalog/examples';
import type { HttpMethod } from '../catalog/operations';
import type { CallerAuthMode } from '../identity/caller-roles';
import type { GraphVersion } from '../schemas/entities';
import type { JsonSchema } from './json-schema';

/**
 * The API as its callers see it, built from the catalog and the validator's schemas: the one
 * model both descriptions (OpenAPI 3.1 and the connector's Swagger 2.0) are rendered from.
 */
export interface ApiDescription {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** Where callers find the project. */
  readonly contact: { readonly name: string; readonly url: string };
  readonly operations: readonly OperationDescription[];
  /** Named schemas the operations refer to by name. */
  readonly schemas: Readonly<Record<string, JsonSchema>>;
  /** How callers prove who they are: the security the descriptions declare. */
  readonly callerAuth: CallerAuthMode;
}

export interface OperationDescription {
  /** PascalCase, as Power Platform asks: the catalog operation's name. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** The route under the route prefix, with `{name}` placeholders. */
  readonly route: string;
  readonly summary: string;
  /** A list, paged with `nextLink`. */
  readonly pageable: boolean;
  /**
   * `internal`: described for tools and code generators, hidden from designers, as callers never
   * pick it (Logic Apps and Power Automate poll a write's Location by themselves).
   */
  readonly designerVisibility: 'important' | 'internal';
  /** The resource's name, to group operations. */
  readonly tag: string;
  readonly description: string;
  readonly parameters: readonly ParameterDescription[];
  readonly body?: BodyDescription;
  readonly responses: readonly ResponseDescription[];
}

/** `advanced` parameters are folded away in Power Automate's action card. */
export type Visibility = 'important' | 'advanced';

export interface ParameterDescription {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  /** The short label a designer shows. */
  readonly label: string;
  readonly description: string;
  readonly schema: JsonSchema;
  readonly visibility: Visibility;
}

export interface BodyDescription {
  /** What the body is, in a few words. */
  readonly description: string;
  /** The body schema in each Graph version the operation exists in, in the catalog's order. */
  readonly schemaNameByVersion: Readonly<Partial<Record<GraphVersion, string>>>;
  /** Every property any version accepts, for descriptions that hold one schema per operation. */
  readonly mergedSchemaName: string;
  readonly examples: readonly Example[];
}

export interface HeaderDescription {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface ResponseDescription {
  /** `default`: any other status, for Graph's rarer 4xx passed on as they are. */
  readonly status: number | 'default';
  readonly description: string;
  readonly schemaName?: string;
  readonly mediaType?: 'application/json' | 'application/problem+json';
  readonly example?: unknown;
  readonly headers: readonly HeaderDescription[];
}

export const PROBLEM_SCHEMA = 'Problem';
export const OPERATION_STATUS_SCHEMA = 'OperationStatus';
