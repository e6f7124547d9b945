/**
 * The admin listener without fastify until someone asks: tsgid binds the admin socket at start
 * with node:http (so a bad address fails the start as before), and builds fastify, its routes and
 * their compiled schemas on the first request. That is ~25 MB of RSS (fastify and ajv loaded
 * ~17, the built API ~8) that a daemon nobody queries never pays. Requests that arrive while it
 * is built wait for the one build and are answered in order; fastify gets this server through its
 * `serverFactory`, so afterwards every request goes straight to fastify's own handler. The build
 * runs on the arbiter's loop, which also accepts every app's connections: it goes in steps of a
 * few ms with a turn of the loop between them (load-in-steps.ts, buildApiInSteps, lazy-schemas.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../daemon/errors.js';
import type { Logger } from '../daemon/log.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
/** fastify's `serverFactory`: its request handler in, the server it is to be served on out */
export type ServerFactory = (handler: RequestHandler) => Server;

export interface LazyApi {
  /** bound by the caller; serves the API once built */
  readonly server: Server;
  /** A second server (another address of `localhost`) whose requests go to the same API. */
  serveAlso(other: Server): void;
  /** fastify's close (its onClose hooks), if it was built, then the server's */
  close(): Promise<void>;
}

/** What fastify sets on a server it makes (lib/server.js) and not on one it is given: 72 s keep-alive, no request timeout. */
function asFastifyWould(server: Server): Server {
  server.keepAliveTimeout = 72_000;
  server.requestTimeout = 0;
  server.setTimeout(0);
  return server;
}

export function lazyApi(build: (serverFactory: ServerFactory) => Promise<FastifyInstance>, log: Logger): LazyApi {
  const server = asFastifyWould(createServer());
  let handler: RequestHandler | undefined;
  /** fastify's handler, once fastify is ready */
  let ready: RequestHandler | undefined;
  let building: Promise<FastifyInstance> | undefined;

  const api = (): Promise<FastifyInstance> =>
    (building ??= build((h) => ((handler = h), server)).then(
      async (app) => {
        // a turn of the loop between building the routes and fastify's ready() (load-in-steps.ts)
        await turn();
        await app.ready();
        ready = handler;
        return app;
      },
      (err: unknown) => {
        // a later request tries again
        building = undefined;
        log.error(`admin API: could not be built: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        throw err;
      },
    ));

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (ready !== undefined) return ready(req, res);
    api().then(
      () => ready!(req, res),
      () => {
        const err = new TsgiError('TSGI_ERR_API_INTERNAL', 'internal error; see the daemon log');
        res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(err.toJSON()));
      },
    );
  };
  // A malformed request before the first good one: fastify's clientError handler (added to the
  // server when fastify is built) answers it, as it would have had fastify been there from the start.
  const onClientError = (err: Error, socket: Socket): void => {
    if (ready !== undefined) return;
    api().then(
      () => {
        for (const l of server.listeners('clientError')) if (l !== onClientError) (l as typeof onClientError).call(server, err, socket);
      },
      () => socket.destroy(),
    );
  };
  server.on('request', onRequest);
  server.on('clientError', onClientError);

  return {
    server,
    serveAlso(other) {
      asFastifyWould(other).on('request', onRequest);
    },
    async close() {
      const app = await building?.catch(() => undefined);
      // fastify leaves alone a server it did not listen on itself: it is closed here
      await app?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
