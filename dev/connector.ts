import { apiDocuments, CONNECTOR_PLACEHOLDER_HOST } from '../src/api-description/documents';
import { BRAND_COLOUR, connectorIconPng } from './connector-icon';

/** The folder of the Power Platform custom connector, under the project root. */
export const CONNECTOR_FOLDER = 'connector';

/**
 * The files of the Power Platform custom connector for a facade at `host`: the Swagger 2.0
 * definition, the connection's properties (the function key as a secure string sent as
 * `x-functions-key`) and the icon. `npm run connector` writes them; a test fails when the
 * committed ones differ.
 */
export function connectorFiles(host: string = CONNECTOR_PLACEHOLDER_HOST): Record<string, string | Buffer> {
  const { swagger } = apiDocuments(`https://${host}/api`);
  const apiProperties = {
    properties: {
      connectionParameters: {
        api_key: {
          type: 'securestring',
          uiDefinition: {
            displayName: 'Function key',
            description: "A function key of the intune-status-facade function app (Azure portal: the app's App keys).",
            tooltip: 'The key is sent as the x-functions-key header on every call.',
            constraints: { tabIndex: 2, clearText: false, required: 'true' },
          },
        },
      },
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
