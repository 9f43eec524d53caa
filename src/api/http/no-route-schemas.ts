/**
 * fastify's schema compilers for a server whose routes declare no JSON schemas: each dialect parses its requests and
 * refuses bad input in its own format (dialect.ts), and answers are serialized by the routes themselves, so neither
 * ajv nor fast-json-stringify has anything to do. Left to pick its own, fastify loads both as it is created
 * (@fastify/ajv-compiler and @fastify/fast-json-stringify-compiler: about 110 modules and 1.2 MiB of the main thread's
 * heap in every daemon, issue 18). A route that does declare a schema fails the server's start, saying why.
 */
import type { FastifyServerOptions } from 'fastify';
import { AppError, ErrorCode } from '../../shared/errors.js';

function refuseSchemas(): never {
  throw new AppError(
    ErrorCode.INTERNAL,
    'a route declares a JSON schema, and this server has no schema compilers: parse and validate in the handler (src/api/http/no-route-schemas.ts)',
  );
}

export const NO_ROUTE_SCHEMAS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: { buildValidator: () => refuseSchemas, buildSerializer: () => refuseSchemas },
};
