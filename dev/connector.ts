import { apiDocuments, CONNECTOR_PLACEHOLDER_HOST } from '../src/api-description/documents';
import { BRAND_COLOUR, connectorIconPng } from './connector-icon';

/** The folder of the Power Platform custom connector, under the project root. */
export const CONNECTOR_FOLDER = 'connector';

/** Where a connector's users sign in with Entra ID: its own client, and the API it asks a token for. */
export interface EntraSignIn {
  /** The connector's client (an app registration of its own, with the API's delegated scope). */
  readonly clientId: string;
  /** The API's identifier URI (azd: API_IDENTIFIER_URI). */
  readonly resourceUri: string;
  /** The tenant users sign in to. */
  readonly tenantId: string;
}

const FUNCTION_KEY_CONNECTION = {
  api_key: {
    type: 'securestring',
    uiDefinition: {
      displayName: 'Function key',
      description: "A function key of the intune-status-facade function app (Azure portal: the app's App keys).",
      tooltip: 'The key is sent as the x-functions-key header on every call.',
      constraints: { tabIndex: 2, clearText: false, required: 'true' },
    },
  },
};

/**
 * Entra ID sign-in, as Power Platform connectors declare it: the user's delegated token for the
 * API, asked for by the connector's own client, with a redirect URI of the connector's own
 * (GlobalPerConnector: the shared one is retired). The client secret is entered when the
 * connector is created, never written here.
 */
function entraConnection(signIn: EntraSignIn) {
  return {
    token: {
      type: 'oauthSetting',
      oAuthSettings: {
        identityProvider: 'aad',
        clientId: signIn.clientId,
        scopes: [`${signIn.resourceUri}/user_impersonation`],
        redirectMode: 'GlobalPerConnector',
        redirectUrl: 'https://global.consent.azure-apim.net/redirect',
        properties: { IsFirstParty: 'False' },
        customParameters: {
          loginUri: { value: 'https://login.microsoftonline.com' },
          tenantId: { value: signIn.tenantId },
          resourceUri: { value: signIn.resourceUri },
        },
      },
    },
  };
}

/**
 * The files of the Power Platform custom connector for a facade at `host`: the Swagger 2.0
 * definition, the connection's properties (the function key as a secure string sent as
 * `x-functions-key`, or Entra ID sign-in) and the icon. `npm run connector` writes them; a test fails when the
 * committed ones differ.
 */
export function connectorFiles(
  host: string = CONNECTOR_PLACEHOLDER_HOST,
  signIn: EntraSignIn | undefined = undefined,
): Record<string, string | Buffer> {
  const { swagger } = apiDocuments(`https://${host}/api`, signIn ? 'entra' : 'function-key');
  const apiProperties = {
    properties: {
      connectionParameters: signIn ? entraConnection(signIn) : FUNCTION_KEY_CONNECTION,
      iconBrandColor: BRAND_COLOUR,
      capabilities: [],
      publisher: 'intune-status-facade',
      stackOwner: 'intune-status-facade',
    },
  };
  return {
    'apiDefinition.swagger.json': `${JSON.stringify(swagger, null, 2)}\n`,
    'apiProperties.json': `${JSON.stringify(apiProperties, null, 2)}\n`,
    'icon.png': connectorIconPng(),
  };
}
