/**
 * The address book's JSON API: `/contacts` list (?name=), get, create,
 * replace, delete. HTTP Basic with an API user. Errors are telenode's JSON
 * form `{ "error": { "code", "message" } }` (the server's default renderer).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { AddressBook } from '../../contacts/address-book.js';
import type { UserDirectory } from '../http/auth.js';
import { refuseCrossOrigin } from '../http/same-origin.js';
import { readJsonBody } from '../http/request-body.js';
import { basicAuthUser } from '../http/basic-auth.js';
import { parseQuery } from '../http/request-params.js';

export interface ContactsApiDeps {
  contacts: AddressBook;
  users: UserDirectory;
}

const STATUS: Record<string, number> = {
  [ErrorCode.AUTH_REQUIRED]: 401,
  [ErrorCode.AUTH_LOCKED]: 429,
  [ErrorCode.REQUEST_MEDIA_TYPE]: 415,
  [ErrorCode.REQUEST_FORBIDDEN_ORIGIN]: 403,
  [ErrorCode.CONTACT_INVALID]: 400,
  [ErrorCode.REQUEST_PARSE]: 400,
  [ErrorCode.CONTACT_NOT_FOUND]: 404,
  [ErrorCode.CONTACT_EXISTS]: 409,
};

export function registerContactsRoutes(app: FastifyInstance, deps: ContactsApiDeps): void {
  const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, run: (request: FastifyRequest) => Promise<{ status: number; body?: unknown }>) =>
    app.route({
      method,
      url,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        try {
          refuseCrossOrigin(request);
          if (!(await basicAuthUser(request, deps.users))) {
            reply.header('www-authenticate', 'Basic realm="telenode"');
            throw new AppError(ErrorCode.AUTH_REQUIRED, 'HTTP Basic authentication with an API user is required');
          }
          const { status, body } = await run(request);
          return reply.code(status).send(body);
        } catch (err) {
          const status = isAppError(err) ? STATUS[err.code] : undefined;
          if (status === undefined) throw err;
          return reply.code(status).send({ error: { code: (err as AppError).code, message: (err as AppError).message } });
        }
      },
    });

  route('GET', '/contacts', async (request) => {
    const name = parseQuery(request.url).get('name');
    return { status: 200, body: { contacts: await deps.contacts.list(name === undefined ? {} : { name }) } };
  });
  route('GET', '/contacts/:id', async (request) => {
    const id = (request.params as { id: string }).id;
    const contact = await deps.contacts.get(id);
    if (!contact) throw new AppError(ErrorCode.CONTACT_NOT_FOUND, `no contact '${id}'`);
    return { status: 200, body: contact };
  });
  route('POST', '/contacts', async (request) => ({ status: 201, body: await deps.contacts.add(readJsonBody(request)) }));
  route('PUT', '/contacts/:id', async (request) => ({
    status: 200,
    body: await deps.contacts.replace((request.params as { id: string }).id, readJsonBody(request)),
  }));
  route('DELETE', '/contacts/:id', async (request) => {
    await deps.contacts.remove((request.params as { id: string }).id);
    return { status: 204 };
  });
}
