import * as v from 'valibot';

import { complianceStatus, count, nullableText, timestamp } from './primitives';

export const GRAPH_VERSIONS = ['v1.0', 'beta'] as const;
export type GraphVersion = (typeof GRAPH_VERSIONS)[number];

/**
 * A Graph entity the facade reads and writes: its OData type and its properties in each Graph
 * version where it exists. Properties are listed as Graph returns them; which are required on
 * a write is decided by the operation (see `writeSchema`).
 */
export interface EntityDefinition {
  readonly name: string;
  readonly odataType: string;
  readonly properties: Partial<Record<GraphVersion, v.ObjectEntries>>;
  /** Properties a create must carry. */
  readonly requiredOnCreate: readonly string[];
}

const userSummaryV1 = {
  pendingCount: count,
  notApplicableCount: count,
  successCount: count,
  errorCount: count,
  failedCount: count,
  lastUpdateDateTime: timestamp,
  configurationVersion: count,
};

const userSummaryBeta = { ...userSummaryV1, conflictCount: count };

export const mobileAppConfigurationUserSummary: EntityDefinition = {
  name: 'managedDeviceMobileAppConfigurationUserSummary',
  odataType: '#microsoft.graph.managedDeviceMobileAppConfigurationUserSummary',
  properties: { 'v1.0': userSummaryV1, beta: userSummaryBeta },
  requiredOnCreate: [],
};

export const deviceComplianceUserOverview: EntityDefinition = {
  name: 'deviceComplianceUserOverview',
  odataType: '#microsoft.graph.deviceComplianceUserOverview',
  properties: { 'v1.0': userSummaryV1, beta: userSummaryBeta },
  requiredOnCreate: [],
};

export const mobileAppInstallSummary: EntityDefinition = {
  name: 'mobileAppInstallSummary',
  odataType: '#microsoft.graph.mobileAppInstallSummary',
  properties: {
    beta: {
      installedDeviceCount: count,
      failedDeviceCount: count,
      notApplicableDeviceCount: count,
      notInstalledDeviceCount: count,
      pendingInstallDeviceCount: count,
      installedUserCount: count,
      failedUserCount: count,
      notApplicableUserCount: count,
      notInstalledUserCount: count,
      pendingInstallUserCount: count,
    },
  },
  requiredOnCreate: [],
};

const userStatus = {
  userDisplayName: nullableText,
  devicesCount: count,
  status: complianceStatus,
  lastReportedDateTime: timestamp,
  userPrincipalName: nullableText,
};

export const mobileAppConfigurationUserStatus: EntityDefinition = {
  name: 'managedDeviceMobileAppConfigurationUserStatus',
  odataType: '#microsoft.graph.managedDeviceMobileAppConfigurationUserStatus',
  properties: { 'v1.0': userStatus, beta: userStatus },
  requiredOnCreate: ['userPrincipalName', 'status'],
};

export type WriteMode = 'update' | 'create';

/** A required property must be present and not null: a nullable schema gives way to what it wraps. */
function withoutNull(schema: v.ObjectEntries[string]): v.ObjectEntries[string] {
  return schema.type === 'nullable' ? (schema as v.NullableSchema<v.GenericSchema, undefined>).wrapped : schema;
}

/**
 * The valibot schema of a write body for one entity, version and mode: every property optional
 * on update; on create the entity's required properties present and not null. Plain objects only,
 * so the schema converts to JSON Schema for the API descriptions.
 */
export function writeSchema(
  entity: EntityDefinition,
  version: GraphVersion,
  mode: WriteMode,
): v.ObjectSchema<v.ObjectEntries, undefined> {
  // Built once per entity, version and mode: the schemas are fixed, and every write validates against one.
  const cacheKey = `${version}:${mode}`;
  const cached = builtSchemas.get(entity)?.get(cacheKey);
  if (cached) return cached;
  const schema = buildWriteSchema(entity, version, mode);
  builtSchemas.set(
    entity,
    (builtSchemas.get(entity) ?? new Map<string, v.ObjectSchema<v.ObjectEntries, undefined>>()).set(cacheKey, schema),
  );
  return schema;
}

const builtSchemas = new WeakMap<EntityDefinition, Map<string, v.ObjectSchema<v.ObjectEntries, undefined>>>();

function buildWriteSchema(
  entity: EntityDefinition,
  version: GraphVersion,
  mode: WriteMode,
): v.ObjectSchema<v.ObjectEntries, undefined> {
  const entries = entity.properties[version] ?? {};
  const shaped: v.ObjectEntries = {};
  for (const [name, schema] of Object.entries(entries)) {
    const required = mode === 'create' && entity.requiredOnCreate.includes(name);
    shaped[name] = required ? withoutNull(schema) : v.optional(schema);
  }
  return v.object(shaped);
}
