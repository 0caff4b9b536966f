/**
 * The Microsoft Graph national clouds. Root, token scope and authority belong together:
 * a token issued for one cloud is rejected by every other, so they are only ever chosen as a set.
 */
export const GRAPH_CLOUDS = {
  Global: {
    graphRoot: 'https://graph.microsoft.com',
    scope: 'https://graph.microsoft.com/.default',
    authorityHost: 'https://login.microsoftonline.com',
    tokenExchangeScope: 'api://AzureADTokenExchange/.default',
  },
  USGov: {
    graphRoot: 'https://graph.microsoft.us',
    scope: 'https://graph.microsoft.us/.default',
    authorityHost: 'https://login.microsoftonline.us',
    tokenExchangeScope: 'api://AzureADTokenExchangeUSGov/.default',
  },
  USGovDoD: {
    graphRoot: 'https://dod-graph.microsoft.us',
    scope: 'https://dod-graph.microsoft.us/.default',
    authorityHost: 'https://login.microsoftonline.us',
    tokenExchangeScope: 'api://AzureADTokenExchangeUSGov/.default',
  },
  China: {
    graphRoot: 'https://microsoftgraph.chinacloudapi.cn',
    scope: 'https://microsoftgraph.chinacloudapi.cn/.default',
    authorityHost: 'https://login.chinacloudapi.cn',
    tokenExchangeScope: 'api://AzureADTokenExchangeChina/.default',
  },
} as const satisfies Record<string, GraphCloudEndpoints>;

export type GraphCloudName = keyof typeof GRAPH_CLOUDS;

export interface GraphCloudEndpoints {
  readonly graphRoot: string;
  readonly scope: string;
  readonly authorityHost: string;
  /** The scope of a managed identity's token used as a federated credential (the audience the credential names). */
  readonly tokenExchangeScope: string;
}

export const GRAPH_CLOUD_NAMES = Object.keys(GRAPH_CLOUDS) as GraphCloudName[];

/** The endpoints the facade uses: the cloud's set, with the Graph root replaced when an override is given. */
export function graphEndpoints(cloud: GraphCloudName, graphBaseUrl?: string): GraphCloudEndpoints {
  const endpoints = GRAPH_CLOUDS[cloud];
  return graphBaseUrl ? { ...endpoints, graphRoot: graphBaseUrl.replace(/\/+$/, '') } : endpoints;
}
