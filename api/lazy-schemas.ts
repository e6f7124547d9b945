/**
 * The routes' validators and response serializers compiled one per turn of the event loop after
 * fastify is ready, instead of all together inside ready(): fastify compiles every route's schemas
 * in one synchronous `preReady` emit (lib/route.js), 130–190 ms of the arbiter's loop at a load of
 * 10, during which no app's new connection is accepted. The compilers are fastify's own
 * (@fastify/ajv-compiler and @fastify/fast-json-stringify-compiler, with the server's `ajv` and
 * `serializerOpts`), so each function, and each validation error, is the one fastify would have
 * built; a request that needs one before its turn compiles it then.
 */
import { createRequire } from 'node:module';
import { setImmediate as turn } from 'node:timers/promises';
import type { FastifyServerOptions } from 'fastify';

type Compiled = ((data: unknown) => unknown) & { errors?: unknown };
/** what fastify passes each compiler (lib/validation.js): `{ schema, method, url, httpPart | httpStatus }` */
type Compile = (route: { schema: unknown }) => Compiled;
interface Ajv {
  defaultMeta(): unknown;
}
interface CompilerOptions {
  onCreate?: (ajv: Ajv) => void;
}
/** a compiler factory as fastify calls it (lib/schema-controller.js) */
type Factory = (externalSchemas: unknown, options: CompilerOptions | undefined) => Compile;
/** as fastify's types name them; they declare the compiler as taking the schema itself */
type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

export interface LazySchemas {
  /** fastify's `schemaController.compilersFactory` */
  compilersFactory: Factories;
  /** compiles, one per turn of the loop, each function not compiled yet; until `stop()` */
  compileAll(): Promise<void>;
  stop(): void;
}

export function lazySchemas(onError: (err: unknown) => void): LazySchemas {
  // fastify's dependencies, resolved from fastify as its schema controller does
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const validators = (fromFastify('@fastify/ajv-compiler') as () => Factory)();
  const serializers = (fromFastify('@fastify/fast-json-stringify-compiler') as () => Factory)();
  const pending: Array<() => unknown> = [];
  let stopped = false;

  const lazily =
    (compile: Compile): Compile =>
    (route) => {
      let compiled: Compiled | undefined;
      const get = (): Compiled => (compiled ??= compile(route));
      // a validator without ajv's `schemaEnv` is called with the data alone, all ajv needs when it
      // neither coerces, fills in defaults nor removes properties (server.ts's ajv options)
      const run: Compiled = (data) => {
        const fn = get();
        const result = fn(data);
        run.errors = fn.errors;
        return result;
      };
      pending.push(get);
      return run;
    };

  const buildValidator: Factory = (externalSchemas, options) =>
    lazily(
      validators(externalSchemas, {
        ...options,
        onCreate(ajv) {
          options?.onCreate?.(ajv);
          // ajv compiles the draft-07 meta-schema the first time it is asked for it (ajv.js,
          // defaultMeta), before the first schema it checks against it: a turn of its own
          pending.unshift(() => ajv.defaultMeta());
        },
      }),
    );
  const buildSerializer: Factory = (externalSchemas, options) => lazily(serializers(externalSchemas, options));

  return {
    compilersFactory: { buildValidator, buildSerializer } as unknown as Factories,
    async compileAll() {
      while (!stopped && pending.length > 0) {
        await turn();
        try {
          pending.shift()?.();
        } catch (err) {
          // the request that needs it compiles it again, and fails with a 500 (TSGI_ERR_API_INTERNAL)
          onError(err);
        }
      }
    },
    stop() {
      stopped = true;
    },
  };
}
