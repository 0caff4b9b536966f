import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Spectral } from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import Ajv, { type AnySchema } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import * as jsonc from 'jsonc-parser';

/** The JSON Schemas the public Power Platform connectors are checked with (JSONC), vendored with their licence. */
const CONNECTOR_SCHEMAS = join(__dirname, '..', 'vendor', 'power-platform-connector-schemas');

function connectorSchema(file: string): AnySchema {
  const errors: jsonc.ParseError[] = [];
  const schema = jsonc.parse(readFileSync(join(CONNECTOR_SCHEMAS, file), 'utf8'), errors) as AnySchema;
  if (errors.length > 0) throw new Error(`${file} does not parse as JSONC`);
  return schema;
}

/** The errors of a Swagger file against Power Platform's schema (draft-04); empty when it passes. */
export function connectorDefinitionErrors(definition: unknown): string[] {
  const ajv = new AjvDraft04({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  const validate = ajv.compile(connectorSchema('apiDefinition.swagger.schema.json'));
  return validate(definition) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

/** The errors of an apiProperties.json against Power Platform's schema (draft-07); empty when it passes. */
export function connectorPropertiesErrors(properties: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  // The published file names itself with draft-04's `id` though it declares draft-07, where the keyword is `$id`.
  const { id, ...schema } = connectorSchema('paconn-apiProperties.schema.json') as { id?: string };
  const validate = ajv.compile({ ...schema, $id: id });
  return validate(properties) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

/**
 * Validates a description with swagger-parser (Swagger 2.0 or OpenAPI 3.x) and resolves to its
 * verdict: `valid`, or the first defect. swagger-parser is an ES module that jest's module system
 * cannot load, so it runs in a Node process of its own.
 */
export async function swaggerParserVerdict(document: unknown): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'description-'));
  try {
    const file = join(folder, 'description.json');
    writeFileSync(file, JSON.stringify(document));
    const script = [
      "import SwaggerParser from '@apidevtools/swagger-parser';",
      'try { await SwaggerParser.validate(process.argv[1]); console.log("valid"); }',
      'catch (error) { console.log(String(error.message)); }',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, file], {
      cwd: join(__dirname, '..', '..'),
    });
    return stdout.trim();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Spectral's OpenAPI ruleset findings at error severity, as `code path: message`. */
export async function spectralErrors(document: unknown): Promise<string[]> {
  const spectral = new Spectral();
  spectral.setRuleset({ extends: [[oas, 'recommended']] } as never);
  const results = await spectral.run(JSON.stringify(document));
  return (
    results
      // Severity 0 is DiagnosticSeverity.Error.
      .filter((result) => Number(result.severity) === 0)
      .map((result) => `${String(result.code)} ${result.path.join('.')}: ${result.message}`)
  );
}

const DOCUMENT_ID = 'https://intune-status-facade.test/openapi.json';

/** Validates values against the schemas of an OpenAPI 3.1 document (JSON Schema 2020-12, with formats). */
export function openApiSchemas(document: unknown): (pointer: string, value: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  ajv.addSchema({ ...(document as object), $id: DOCUMENT_ID });
  return (pointer, value) => {
    const validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
    return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
  };
}

/** A JSON pointer segment (RFC 6901). */
export const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
