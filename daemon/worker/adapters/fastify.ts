/**
 * The `fastify` interface: a Fastify instance. It is made ready (plugins loaded, routes
 * compiled) at boot and then fed requests through `fastify.routing(req, res)`, the public
 * method (docs/Reference/Server.md#routing) that its own `http.Server` is given; the instance's
 * server never listens. `close()` runs the app's preClose and onClose hooks at shutdown.
 */
import type { InterfaceAdapter, Listener } from './contract.js';
import { isObjectLike } from './contract.js';

interface FastifyLike {
  ready(): PromiseLike<unknown>;
  routing: Listener;
  close(): PromiseLike<unknown>;
}

function isFastifyLike(value: unknown): value is FastifyLike {
  return (
    isObjectLike(value) &&
    typeof value.ready === 'function' &&
    typeof value.routing === 'function' &&
    typeof value.inject === 'function' &&
    typeof value.close === 'function' &&
    isObjectLike(value.server)
  );
}

export const fastifyAdapter: InterfaceAdapter = {
  name: 'fastify',
  detect: isFastifyLike,
  accepts: isFastifyLike,
  async adapt(value) {
    const app = value as FastifyLike;
    await app.ready();
    return {
      listener: app.routing.bind(app),
      close: async () => {
        await app.close();
      },
    };
  },
};
