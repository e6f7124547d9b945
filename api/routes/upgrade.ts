/** POST /v1/upgrade: `tsgictl upgrade`, as SIGUSR2 does (daemon/upgrade/upgrade.ts). */
import type { FastifyInstance } from 'fastify';
import { TsgiError } from '../../daemon/errors.js';
import type { UpgradeResult } from '../../daemon/upgrade/upgrade.js';

const result = {
  type: 'object',
  properties: {
    old_pid: { type: 'integer' },
    new_pid: { type: 'integer' },
    version: { type: 'string', description: 'the new tsgid\'s tsgi version' },
    upgrades: { type: 'integer', description: 'upgrades since a tsgid was last started from scratch' },
  },
};

export function upgradeRoutes(app: FastifyInstance, upgrade: (() => Promise<UpgradeResult>) | undefined): void {
  app.post(
    '/v1/upgrade',
    {
      schema: {
        summary: 'Start the tsgid installed now on the same sockets; this one drains and exits once it is ready',
        description: 'Answers when the new tsgid serves (every app that ran here is ready there). If it fails (a config error, a crash, apps not ready within `upgrade_timeout`), 502 TSGI_ERR_DAEMON_UPGRADE_FAILED with the reason, and this tsgid keeps serving. 409 TSGI_ERR_DAEMON_UPGRADE_BUSY while one is under way.',
        tags: ['config'],
      },
      config: { ok: { status: 200, description: 'The new tsgid serves; this one drains', schema: result } },
    },
    async () => {
      if (upgrade === undefined) throw new TsgiError('TSGI_ERR_DAEMON_UPGRADE_FAILED', 'this admin API cannot upgrade its tsgid');
      return upgrade();
    },
  );
}
