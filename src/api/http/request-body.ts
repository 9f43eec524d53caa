/**
 * Parameters of a request from its query string and, for a POST, its body:
 * form-urlencoded, or JSON where the dialect allows it (chosen by
 * Content-Type). Body values win over query values of the same name. Every
 * malformed input is a REQUEST_PARSE error the dialect renders its own way.
 */
import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { Params, decodeUtf8, parseQuery, parseUrlEncoded } from './request-params.js';
import { requireMediaType } from './same-origin.js';

export interface BodyOptions {
  /** Accept `application/json` bodies (a flat object of strings, numbers and booleans). */
  json: boolean;
}

export function readRequestParams(request: FastifyRequest, options: BodyOptions): Params {
  const params = parseQuery(request.url);
  const body = request.body;
  if (request.method !== 'POST' || !Buffer.isBuffer(body) || body.length === 0) return params;
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === '' || mediaType === 'application/x-www-form-urlencoded') {
    params.merge(parseUrlEncoded(decodeUtf8(body)));
  } else if (options.json && (mediaType === 'application/json' || mediaType.endsWith('+json'))) {
    params.merge(parseJsonObject(decodeUtf8(body)));
  } else {
    throw new AppError(ErrorCode.REQUEST_PARSE, `unsupported Content-Type '${mediaType.slice(0, 60)}'`, {
      details: { contentType: mediaType },
    });
  }
  return params;
}

function parseJsonObject(text: string): Params {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError(ErrorCode.REQUEST_PARSE, `malformed JSON body: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(ErrorCode.REQUEST_PARSE, 'the JSON body must be an object');
  }
  const params = new Params();
  for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
    if (field === null) continue;
    if (typeof field === 'string') params.set(name, field);
    else if (typeof field === 'number' || typeof field === 'boolean') params.set(name, String(field));
    else throw new AppError(ErrorCode.REQUEST_PARSE, `JSON field '${name.slice(0, 40)}' must be a string, number or boolean`);
  }
  return params;
}

/** A JSON body (telenode's own endpoints): Content-Type application/json, strict UTF-8, parsed or REQUEST_PARSE. */
export function readJsonBody(request: FastifyRequest): unknown {
  requireMediaType(request, ['application/json']);
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new AppError(ErrorCode.REQUEST_PARSE, 'a JSON body is required');
  try {
    return JSON.parse(decodeUtf8(request.body)) as unknown;
  } catch (err) {
    throw new AppError(ErrorCode.REQUEST_PARSE, `the body is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
