import {
  deviceComplianceUserOverview,
  type EntityDefinition,
  type GraphVersion,
  mobileAppConfigurationUserStatus,
  mobileAppConfigurationUserSummary,
  mobileAppInstallSummary,
} from '../schemas/entities';

/**
 * What an operation does, which fixes its HTTP method, how its body is read and how Graph's
 * answer is mapped: read 200, list 200 with paging, update 200 (or 204 when Graph returns
 * nothing), create 201 with Location, delete 204.
 */
export type OperationKind = 'read' | 'list' | 'update' | 'create' | 'delete';

/** The Graph permissions the facade's calls need (application, or delegated when called as a user). */
export type GraphPermission = 'DeviceManagementApps.ReadWrite.All' | 'DeviceManagementConfiguration.ReadWrite.All';

/**
 * The kinds of identity Graph accepts for an operation, from the permissions table of its Graph
 * page: `application` (an app on its own, as the facade's managed identity) and `delegated` (an
 * app acting for a signed-in work or school user).
 */
export type GraphIdentityKind = 'application' | 'delegated';

/** What every Graph page of the facade's operations lists, unless its resource says otherwise. */
export const ANY_IDENTITY: readonly GraphIdentityKind[] = ['application', 'delegated'];

/**
 * A Graph resource the facade exposes, declared once; its operations, their names, summaries
 * and routes are derived from it (operations.ts). A single-valued navigation (a summary) has
 * `read` and `update`; a collection has `list` and `create` on its route and `read`, `update`
 * and `delete` on its items, addressed by `itemParameter`.
 */
export interface Resource {
  /** PascalCase name of one item, the end of every operation name: `Get<noun>`. */
  readonly noun: string;
  /** For collections: PascalCase name of several, for `List<pluralNoun>`. */
  readonly pluralNoun?: string;
  /** How summaries speak of it: one item, the collection, a new item. */
  readonly phrases: { readonly one: string; readonly all?: string; readonly new?: string };
  /** Route under the `/api` prefix, with `{param}` placeholders. */
  readonly route: string;
  /** Graph path under the version segment, with the same placeholders as `route`. */
  readonly graphPath: string;
  /** For collections: the path parameter naming one item. */
  readonly itemParameter?: string;
  /** Graph versions the resource exists in; the first is the default. */
  readonly graphVersions: readonly GraphVersion[];
  readonly entity: EntityDefinition;
  /** The permission the identity needs; named in the error when Graph refuses. */
  readonly permission: GraphPermission;
  /** Operations whose Graph page accepts fewer identities than both (`ANY_IDENTITY`), by kind. */
  readonly identities?: Partial<Record<OperationKind, readonly GraphIdentityKind[]>>;
  readonly kinds: readonly OperationKind[];
  /** Ids of parents the local Graph emulator seeds, for examples, docs and tests. */
  readonly exampleParameters: Readonly<Record<string, string>>;
}

const APPS: GraphPermission = 'DeviceManagementApps.ReadWrite.All';
const CONFIGURATION: GraphPermission = 'DeviceManagementConfiguration.ReadWrite.All';

/** The parents the emulator seeds (its own copy lives in dev/graph-emulator, on purpose). */
export const EXAMPLE_IDS = {
  mobileAppConfiguration: '1f4b2a4e-7d1c-4a59-9d0e-3c2b8e6f5a10',
  mobileApp: '6c0f3d2e-2a8b-4f4e-bf6d-9e1a7c5b3d20',
  deviceCompliancePolicy: '9a7e5c3b-1d2f-4e6a-8b9c-0d1e2f3a4b30',
} as const;

/** Every resource of the facade. Adding one of an existing kind is one entry here. */
export const RESOURCES: readonly Resource[] = [
  {
    noun: 'MobileAppConfigurationUserStatusSummary',
    phrases: { one: "a mobile app configuration's user status summary" },
    route: 'mobile-app-configurations/{configurationId}/user-status-summary',
    graphPath: '/deviceAppManagement/mobileAppConfigurations/{configurationId}/userStatusSummary',
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserSummary,
    permission: APPS,
    kinds: ['read', 'update'],
    exampleParameters: { configurationId: EXAMPLE_IDS.mobileAppConfiguration },
  },
  {
    noun: 'MobileAppConfigurationUserStatus',
    pluralNoun: 'MobileAppConfigurationUserStatuses',
    phrases: {
      one: 'one user status of a mobile app configuration',
      all: 'the user statuses of a mobile app configuration',
      new: 'a user status under a mobile app configuration',
    },
    route: 'mobile-app-configurations/{configurationId}/user-statuses',
    graphPath: '/deviceAppManagement/mobileAppConfigurations/{configurationId}/userStatuses',
    itemParameter: 'statusId',
    graphVersions: ['v1.0', 'beta'],
    entity: mobileAppConfigurationUserStatus,
    permission: APPS,
    kinds: ['list', 'create', 'read', 'update', 'delete'],
    exampleParameters: { configurationId: EXAMPLE_IDS.mobileAppConfiguration },
  },
  {
    noun: 'MobileAppInstallSummary',
    phrases: { one: "a mobile app's install summary" },
    route: 'mobile-apps/{mobileAppId}/install-summary',
    graphPath: '/deviceAppManagement/mobileApps/{mobileAppId}/installSummary',
    graphVersions: ['beta'],
    entity: mobileAppInstallSummary,
    permission: APPS,
    // Its update page: "Application: Not supported". Its get page lists application permissions.
    identities: { update: ['delegated'] },
    kinds: ['read', 'update'],
    exampleParameters: { mobileAppId: EXAMPLE_IDS.mobileApp },
  },
  {
    noun: 'DeviceCompliancePolicyUserStatusOverview',
    phrases: { one: "a device compliance policy's user status overview" },
    route: 'device-compliance-policies/{policyId}/user-status-overview',
    graphPath: '/deviceManagement/deviceCompliancePolicies/{policyId}/userStatusOverview',
    graphVersions: ['v1.0', 'beta'],
    entity: deviceComplianceUserOverview,
    permission: CONFIGURATION,
    kinds: ['read', 'update'],
    exampleParameters: { policyId: EXAMPLE_IDS.deviceCompliancePolicy },
  },
];
