import * as v from 'valibot';

import { isWrite, type Operation, routeParameters } from '../catalog/operations';
import { pathId } from '../schemas/primitives';
import {
  correlationId,
  idempotencyKey,
  operationId,
  pageSize,
  preference,
  respondQuery,
  skipCount,
  skipToken,
} from '../schemas/request-parameters';
import { jsonSchemaOf, labelOf } from './json-schema';
import type { ParameterDescription } from './model';

/** The parameters of an operation, each from the schema the validator reads it with. */

export function parametersOf(operation: Operation): ParameterDescription[] {
  const inPath: ParameterDescription[] = routeParameters(operation.route).map((name) => ({
    name,
    in: 'path',
    required: true,
    label: labelOf(name),
    description: `The Intune ${labelOf(name).replace(/ ID$/, '').toLowerCase()} id, as Graph gives it.`,
    schema: jsonSchemaOf(pathId),
    visibility: 'important',
  }));
  const graphVersion: ParameterDescription = {
    name: 'graphVersion',
    in: 'query',
    required: false,
    label: 'Graph version',
    description: `The Graph version to call: ${operation.graphVersions.join(' or ')} (default ${operation.graphVersions[0]}).`,
    schema: jsonSchemaOf(v.optional(v.picklist(operation.graphVersions), operation.graphVersions[0])),
    visibility: 'advanced',
  };
  const paging: ParameterDescription[] =
    operation.kind === 'list'
      ? [
          query('top', 'Page size', 'How many items a page holds at most.', pageSize),
          query('skipToken', 'Skip token', "Graph's paging token, taken from a nextLink; pass it back unchanged.", skipToken),
          query('skip', 'Skip', 'How many items to pass over, for lists Graph pages by offset.', skipCount),
        ]
      : [];
  const key: ParameterDescription[] = isWrite(operation)
    ? [
        header(
          'Idempotency-Key',
          'Idempotency key',
          'A value unique to this write (a GUID, say). A retry sent with the same key and body is never applied twice: it waits for, or is answered from, the first attempt.',
          idempotencyKey,
        ),
      ]
    : [];
  const minimal =
    operation.kind === 'update' ? '`return=minimal` answers 204 with no body and skips reading the entity back. ' : '';
  const async: ParameterDescription[] = isWrite(operation)
    ? [
        query(
          'respond',
          'Respond',
          `\`async\`: as \`Prefer: respond-async\`, for callers that can set only a URL.`,
          respondQuery,
        ),
        header(
          'Prefer',
          'Prefer',
          `${minimal}\`respond-async\` answers 202 Accepted at once with the operation's Location: the app finishes the write itself, and polling the Location ends with the write's answer.`,
          preference,
        ),
      ]
    : [];
  return [...inPath, graphVersion, ...paging, ...key, ...async, correlationHeader()];
}

/** The parameters of the operation status route. */
export function operationStatusParameters(): ParameterDescription[] {
  return [
    {
      name: 'operationId',
      in: 'path',
      required: true,
      label: 'Operation ID',
      description: 'The id in the Location of the 202 that accepted the write.',
      schema: jsonSchemaOf(operationId),
      visibility: 'important',
    },
    correlationHeader(),
  ];
}

function correlationHeader(): ParameterDescription {
  return header(
    'client-request-id',
    'Client request ID',
    'Your correlation id, sent on to Graph and echoed in the answer; a new GUID when absent or not a plain token.',
    correlationId,
  );
}

function query(name: string, label: string, description: string, schema: v.GenericSchema): ParameterDescription {
  return { name, in: 'query', required: false, label, description, schema: jsonSchemaOf(schema), visibility: 'advanced' };
}

function header(name: string, label: string, description: string, schema: v.GenericSchema): ParameterDescription {
  return { name, in: 'header', required: false, label, description, schema: jsonSchemaOf(schema), visibility: 'advanced' };
}
