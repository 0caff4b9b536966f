import { examplePath, operationNamed } from './operations';

/**
 * A request a caller can send, from the Graph API pages the facade was specified from: the
 * examples of the API descriptions, of `npm start`'s printed calls and of the tests.
 */
export interface Example {
  readonly title: string;
  readonly operation: string;
  readonly method: 'PATCH' | 'POST';
  /** Path under /api, with the emulator's seeded ids. */
  readonly path: string;
  readonly graphVersion: 'v1.0' | 'beta';
  /** The request body of the Graph documentation example, verbatim. */
  readonly body: Record<string, unknown>;
}

/** The path of an operation on the parents the emulator seeds, from the catalog. */
const pathOf = (operation: string) => examplePath(operationNamed(operation));

export const SEED_EXAMPLES: readonly Example[] = [
  {
    title: "Update a mobile app configuration's user status summary (v1.0)",
    operation: 'UpdateMobileAppConfigurationUserStatusSummary',
    method: 'PATCH',
    path: pathOf('UpdateMobileAppConfigurationUserStatusSummary'),
    graphVersion: 'v1.0',
    body: {
      '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserSummary',
      pendingCount: 12,
      notApplicableCount: 2,
      successCount: 12,
      errorCount: 10,
      failedCount: 11,
      lastUpdateDateTime: '2016-12-31T23:58:21.6459442-08:00',
      configurationVersion: 4,
    },
  },
  {
    title: "Update a mobile app configuration's user status summary (beta, with conflictCount)",
    operation: 'UpdateMobileAppConfigurationUserStatusSummary',
    method: 'PATCH',
    path: pathOf('UpdateMobileAppConfigurationUserStatusSummary'),
    graphVersion: 'beta',
    body: {
      '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserSummary',
      pendingCount: 12,
      notApplicableCount: 2,
      successCount: 12,
      errorCount: 10,
      failedCount: 11,
      conflictCount: 13,
      lastUpdateDateTime: '2016-12-31T23:58:21.6459442-08:00',
      configurationVersion: 4,
    },
  },
  {
    title: "Update a mobile app's install summary (beta only)",
    operation: 'UpdateMobileAppInstallSummary',
    method: 'PATCH',
    path: pathOf('UpdateMobileAppInstallSummary'),
    graphVersion: 'beta',
    body: {
      installedDeviceCount: 4,
      failedDeviceCount: 1,
      notApplicableDeviceCount: 8,
      notInstalledDeviceCount: 7,
      pendingInstallDeviceCount: 9,
      installedUserCount: 2,
      failedUserCount: 15,
      notApplicableUserCount: 6,
      notInstalledUserCount: 5,
      pendingInstallUserCount: 7,
    },
  },
  {
    title: "Update a device compliance policy's user status overview (v1.0)",
    operation: 'UpdateDeviceCompliancePolicyUserStatusOverview',
    method: 'PATCH',
    path: pathOf('UpdateDeviceCompliancePolicyUserStatusOverview'),
    graphVersion: 'v1.0',
    body: {
      '@odata.type': '#microsoft.graph.deviceComplianceUserOverview',
      pendingCount: 12,
      notApplicableCount: 2,
      successCount: 12,
      errorCount: 10,
      failedCount: 11,
      lastUpdateDateTime: '2016-12-31T23:58:21.6459442-08:00',
      configurationVersion: 4,
    },
  },
  {
    title: 'Create a user status under a mobile app configuration (v1.0)',
    operation: 'CreateMobileAppConfigurationUserStatus',
    method: 'POST',
    path: pathOf('CreateMobileAppConfigurationUserStatus'),
    graphVersion: 'v1.0',
    body: {
      '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserStatus',
      userDisplayName: 'User Display Name value',
      devicesCount: 12,
      status: 'notApplicable',
      lastReportedDateTime: '2017-01-01T00:00:17.7769392-08:00',
      userPrincipalName: 'User Principal Name value',
    },
  },
];
