/**
 * The emulator's own copy of the Graph metadata it serves, written from Graph's published
 * schema independently of the facade's valibot schemas, so that a facade mistake shows up as
 * a Graph error instead of being agreed with.
 */
export type EdmType = 'Int32' | 'DateTimeOffset' | 'String' | 'complianceStatus';
export type Version = 'v1.0' | 'beta';

export interface PropertyDefinition {
  readonly type: EdmType;
  readonly nullable: boolean;
}

export interface EntityType {
  readonly name: string;
  readonly properties: Readonly<Record<Version, Readonly<Record<string, PropertyDefinition>> | undefined>>;
}

const int32: PropertyDefinition = { type: 'Int32', nullable: false };
const dateTime: PropertyDefinition = { type: 'DateTimeOffset', nullable: false };
const text: PropertyDefinition = { type: 'String', nullable: true };

const summaryV1 = {
  pendingCount: int32,
  notApplicableCount: int32,
  successCount: int32,
  errorCount: int32,
  failedCount: int32,
  lastUpdateDateTime: dateTime,
  configurationVersion: int32,
};
const summaryBeta = { ...summaryV1, conflictCount: int32 };

export const USER_SUMMARY: EntityType = {
  name: 'managedDeviceMobileAppConfigurationUserSummary',
  properties: { 'v1.0': summaryV1, beta: summaryBeta },
};

export const COMPLIANCE_USER_OVERVIEW: EntityType = {
  name: 'deviceComplianceUserOverview',
  properties: { 'v1.0': summaryV1, beta: summaryBeta },
};

const installCounts = [
  'installedDeviceCount',
  'failedDeviceCount',
  'notApplicableDeviceCount',
  'notInstalledDeviceCount',
  'pendingInstallDeviceCount',
  'installedUserCount',
  'failedUserCount',
  'notApplicableUserCount',
  'notInstalledUserCount',
  'pendingInstallUserCount',
];

export const INSTALL_SUMMARY: EntityType = {
  name: 'mobileAppInstallSummary',
  properties: { 'v1.0': undefined, beta: Object.fromEntries(installCounts.map((name) => [name, int32])) },
};

const userStatus = {
  userDisplayName: text,
  devicesCount: int32,
  status: { type: 'complianceStatus', nullable: false } as PropertyDefinition,
  lastReportedDateTime: dateTime,
  userPrincipalName: text,
};

export const USER_STATUS: EntityType = {
  name: 'managedDeviceMobileAppConfigurationUserStatus',
  properties: { 'v1.0': userStatus, beta: userStatus },
};

const COMPLIANCE_STATUS = [
  'unknown',
  'notApplicable',
  'compliant',
  'remediated',
  'nonCompliant',
  'error',
  'conflict',
  'notAssigned',
];
const DATE_TIME_OFFSET_SHAPE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The last day of a month, by the calendar itself (setUTCFullYear takes years 1 to 99 as they are). */
function lastDayOf(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0);
  return date.getUTCDate();
}

/**
 * Whether .NET's DateTimeOffset parser takes this text, as Graph reads an Edm.DateTimeOffset:
 * year 1 to 9999, a day its month has, hour 0 to 23, at most 7 fraction digits, an offset within
 * 14 hours. Written on its own, apart from the facade's rule, so that each checks the other.
 */
export function isDateTimeOffset(text: string): boolean {
  const fields = DATE_TIME_OFFSET_SHAPE.exec(text);
  if (!fields) return false;
  const [year, month, day, hour, minute, second] = fields.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetMinutes = fields[8] === undefined ? 0 : Number(fields[9]) * 60 + Number(fields[10]);
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= lastDayOf(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    Number(fields[10] ?? 0) <= 59 &&
    offsetMinutes <= 14 * 60
  );
}

/** The value Graph gives a property nobody set: 0, the first instant of year 1, the first enum member, or null. */
function defaultValue(property: PropertyDefinition): unknown {
  if (property.nullable) return null;
  switch (property.type) {
    case 'Int32':
      return 0;
    case 'DateTimeOffset':
      return '0001-01-01T00:00:00Z';
    case 'complianceStatus':
      return 'unknown';
    case 'String':
      return '';
  }
}

/** Every property of the entity type (all versions) at Graph's default, as a new entity starts. */
export function defaultsOf(type: EntityType): Record<string, unknown> {
  const properties = { ...type.properties['v1.0'], ...type.properties.beta };
  return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, defaultValue(property)]));
}

/** Why Graph would refuse this value for the property, or undefined when it accepts it. */
export function valueProblem(property: PropertyDefinition, name: string, value: unknown): string | undefined {
  if (value === null)
    return property.nullable ? undefined : `Cannot convert a null value to a value of type 'Edm.${property.type}' for '${name}'.`;
  switch (property.type) {
    case 'Int32':
      return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647
        ? undefined
        : `Cannot convert the literal '${JSON.stringify(value)}' to the expected type 'Edm.Int32'.`;
    case 'DateTimeOffset':
      return typeof value === 'string' && isDateTimeOffset(value)
        ? undefined
        : `Cannot convert the literal '${JSON.stringify(value)}' to the expected type 'Edm.DateTimeOffset'.`;
    case 'String':
      return typeof value === 'string'
        ? undefined
        : `Cannot convert the literal '${JSON.stringify(value)}' to the expected type 'Edm.String'.`;
    case 'complianceStatus':
      return typeof value === 'string' && COMPLIANCE_STATUS.includes(value)
        ? undefined
        : `The value '${JSON.stringify(value)}' is not a valid member of 'microsoft.graph.complianceStatus'.`;
  }
}
