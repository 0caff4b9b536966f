import { randomUUID } from 'node:crypto';

import { defaultsOf, USER_STATUS } from './model';

export type Entity = Record<string, unknown>;

export interface MobileAppConfiguration {
  userStatusSummary: Entity;
  userStatuses: Map<string, Entity>;
}

/** The ids every README, example and script may rely on. */
export const SEEDED_IDS = {
  mobileAppConfiguration: '1f4b2a4e-7d1c-4a59-9d0e-3c2b8e6f5a10',
  mobileApp: '6c0f3d2e-2a8b-4f4e-bf6d-9e1a7c5b3d20',
  deviceCompliancePolicy: '9a7e5c3b-1d2f-4e6a-8b9c-0d1e2f3a4b30',
} as const;

/** Parents to add through the control surface; every entity field is optional. */
export interface SeedRequest {
  mobileAppConfigurations?: { id: string; userStatusSummary?: Entity; userStatuses?: Entity[] }[];
  mobileApps?: { id: string; installSummary?: Entity }[];
  deviceCompliancePolicies?: { id: string; userStatusOverview?: Entity }[];
}

function userSummary(id: string, overrides: Entity = {}): Entity {
  return {
    id,
    pendingCount: 0,
    notApplicableCount: 0,
    successCount: 0,
    errorCount: 0,
    failedCount: 0,
    conflictCount: 0,
    lastUpdateDateTime: '2026-01-01T00:00:00Z',
    configurationVersion: 1,
    ...overrides,
  };
}

function installSummary(id: string, overrides: Entity = {}): Entity {
  return {
    id,
    installedDeviceCount: 0,
    failedDeviceCount: 0,
    notApplicableDeviceCount: 0,
    notInstalledDeviceCount: 0,
    pendingInstallDeviceCount: 0,
    installedUserCount: 0,
    failedUserCount: 0,
    notApplicableUserCount: 0,
    notInstalledUserCount: 0,
    pendingInstallUserCount: 0,
    ...overrides,
  };
}

/** Graph's view of the tenant, in memory. */
export class GraphState {
  readonly mobileAppConfigurations = new Map<string, MobileAppConfiguration>();
  readonly mobileApps = new Map<string, { installSummary: Entity }>();
  readonly deviceCompliancePolicies = new Map<string, { userStatusOverview: Entity }>();
  /** Paging tokens issued, as they arrive on the wire, and the offset each names. */
  readonly skipTokens = new Map<string, number>();

  constructor() {
    this.reset();
  }

  /** Back to the seeded tenant. */
  reset(): void {
    this.mobileAppConfigurations.clear();
    this.mobileApps.clear();
    this.deviceCompliancePolicies.clear();
    this.skipTokens.clear();
    this.seed({
      mobileAppConfigurations: [
        {
          id: SEEDED_IDS.mobileAppConfiguration,
          userStatusSummary: { pendingCount: 3, successCount: 40, errorCount: 1, configurationVersion: 2 },
          userStatuses: [
            {
              userDisplayName: 'Adele Vance',
              devicesCount: 2,
              status: 'compliant',
              lastReportedDateTime: '2026-01-02T09:30:00Z',
              userPrincipalName: 'adele.vance@contoso.example',
            },
          ],
        },
        { id: '3d8e6f1a-5b2c-4c7d-8e9f-0a1b2c3d4e11' },
      ],
      mobileApps: [{ id: SEEDED_IDS.mobileApp, installSummary: { installedDeviceCount: 12, failedDeviceCount: 1 } }],
      deviceCompliancePolicies: [
        { id: SEEDED_IDS.deviceCompliancePolicy, userStatusOverview: { successCount: 25, failedCount: 2 } },
      ],
    });
  }

  /** Adds (or replaces) parents and their reports. */
  seed(request: SeedRequest): void {
    for (const configuration of request.mobileAppConfigurations ?? []) {
      const statuses = new Map<string, Entity>();
      for (const status of configuration.userStatuses ?? []) {
        const id = typeof status.id === 'string' ? status.id : randomUUID();
        statuses.set(id, { ...defaultsOf(USER_STATUS), ...status, id });
      }
      this.mobileAppConfigurations.set(configuration.id, {
        userStatusSummary: userSummary(randomUUID(), configuration.userStatusSummary),
        userStatuses: statuses,
      });
    }
    for (const app of request.mobileApps ?? []) {
      this.mobileApps.set(app.id, { installSummary: installSummary(randomUUID(), app.installSummary) });
    }
    for (const policy of request.deviceCompliancePolicies ?? []) {
      this.deviceCompliancePolicies.set(policy.id, { userStatusOverview: userSummary(randomUUID(), policy.userStatusOverview) });
    }
  }
}
