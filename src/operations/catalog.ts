import {
  deviceComplianceUserOverview,
  mobileAppConfigurationUserStatus,
  mobileAppConfigurationUserSummary,
  mobileAppInstallSummary,
  type EntityDefinition,
  type GraphVersion,
} from '../schemas/entities';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * What an operation does, which fixes how its body is read and how Graph's answer is mapped:
 * read 200, list 200 with paging, update 200 (or 204 when Graph returns nothing),
 * create 201 with Location, delete 204.
 */
export type OperationKind = 'read' | 'list' | 'update' | 'create' | 'delete';

/** The Graph application permissions the facade's identity holds. */
export type GraphPermission = 'DeviceManagementApps.ReadWrite.All' | 'DeviceManagementConfiguration.ReadWrite.All';

export interface Operation {
  /** Function name and API operation id. */
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
  readonly successStatus: 200 | 201 | 204;
}

const APPS: GraphPermission = 'DeviceManagementApps.ReadWrite.All';
const CONFIGURATION: GraphPermission = 'DeviceManagementConfiguration.ReadWrite.All';

const userStatusSummaryRoute = 'mobile-app-configurations/{configurationId}/user-status-summary';
const userStatusSummaryPath = '/deviceAppManagement/mobileAppConfigurations/{configurationId}/userStatusSummary';
const userStatusesRoute = 'mobile-app-configurations/{configurationId}/user-statuses';
const userStatusesPath = '/deviceAppManagement/mobileAppConfigurations/{configurationId}/userStatuses';
const installSummaryRoute = 'mobile-apps/{mobileAppId}/install-summary';
const installSummaryPath = '/deviceAppManagement/mobileApps/{mobileAppId}/installSummary';
const userStatusOverviewRoute = 'device-compliance-policies/{policyId}/user-status-overview';
const userStatusOverviewPath = '/deviceManagement/deviceCompliancePolicies/{policyId}/userStatusOverview';

/** Every facade operation. Registration, the local host, the API description and the tests read this list. */
export const CATALOG: readonly Operation[] = [
  {
    name: 'GetMobileAppConfigurationUserStatusSummary',
    summary: "Get a mobile app configuration's user status summary",
    kind: 'read',
    method: 'GET',
    route: userStatusSummaryRoute,
    graphPath: userStatusSummaryPath,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserSummary,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'UpdateMobileAppConfigurationUserStatusSummary',
    summary: "Update a mobile app configuration's user status summary",
    kind: 'update',
    method: 'PATCH',
    route: userStatusSummaryRoute,
    graphPath: userStatusSummaryPath,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserSummary,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'ListMobileAppConfigurationUserStatuses',
    summary: 'List the user statuses of a mobile app configuration',
    kind: 'list',
    method: 'GET',
    route: userStatusesRoute,
    graphPath: userStatusesPath,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserStatus,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'CreateMobileAppConfigurationUserStatus',
    summary: 'Create a user status under a mobile app configuration',
    kind: 'create',
    method: 'POST',
    route: userStatusesRoute,
    graphPath: userStatusesPath,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserStatus,
    permission: APPS,
    successStatus: 201,
  },
  {
    name: 'GetMobileAppConfigurationUserStatus',
    summary: 'Get one user status of a mobile app configuration',
    kind: 'read',
    method: 'GET',
    route: `${userStatusesRoute}/{statusId}`,
    graphPath: `${userStatusesPath}/{statusId}`,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserStatus,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'UpdateMobileAppConfigurationUserStatus',
    summary: 'Update one user status of a mobile app configuration',
    kind: 'update',
    method: 'PATCH',
    route: `${userStatusesRoute}/{statusId}`,
    graphPath: `${userStatusesPath}/{statusId}`,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserStatus,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'DeleteMobileAppConfigurationUserStatus',
    summary: 'Delete one user status of a mobile app configuration',
    kind: 'delete',
    method: 'DELETE',
    route: `${userStatusesRoute}/{statusId}`,
    graphPath: `${userStatusesPath}/{statusId}`,
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserStatus,
    permission: APPS,
    successStatus: 204,
  },
  {
    name: 'GetMobileAppInstallSummary',
    summary: "Get a mobile app's install summary (Graph beta)",
    kind: 'read',
    method: 'GET',
    route: installSummaryRoute,
    graphPath: installSummaryPath,
    graphVersions: ['beta'],
    entity: mobileAppInstallSummary,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'UpdateMobileAppInstallSummary',
    summary: "Update a mobile app's install summary (Graph beta)",
    kind: 'update',
    method: 'PATCH',
    route: installSummaryRoute,
    graphPath: installSummaryPath,
    graphVersions: ['beta'],
    entity: mobileAppInstallSummary,
    permission: APPS,
    successStatus: 200,
  },
  {
    name: 'GetDeviceCompliancePolicyUserStatusOverview',
    summary: "Get a device compliance policy's user status overview",
    kind: 'read',
    method: 'GET',
    route: userStatusOverviewRoute,
    graphPath: userStatusOverviewPath,
    graphVersions: ['v1.0', 'beta'],
    entity: deviceComplianceUserOverview,
    permission: CONFIGURATION,
    successStatus: 200,
  },
  {
    name: 'UpdateDeviceCompliancePolicyUserStatusOverview',
    summary: "Update a device compliance policy's user status overview",
    kind: 'update',
    method: 'PATCH',
    route: userStatusOverviewRoute,
    graphPath: userStatusOverviewPath,
    graphVersions: ['v1.0', 'beta'],
    entity: deviceComplianceUserOverview,
    permission: CONFIGURATION,
    successStatus: 200,
  },
];

/** The `{name}` placeholders of a route, in order. */
export function routeParameters(route: string): string[] {
  return [...route.matchAll(/\{([A-Za-z]+)\}/g)].map((match) => match[1] as string);
}

/** The distinct routes of the catalog with the methods each one serves. */
export function catalogRoutes(catalog: readonly Operation[] = CATALOG): Map<string, HttpMethod[]> {
  const routes = new Map<string, HttpMethod[]>();
  for (const operation of catalog) {
    routes.set(operation.route, [...(routes.get(operation.route) ?? []), operation.method]);
  }
  return routes;
}
