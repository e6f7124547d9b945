/** tsgictl upgrade: the running tsgid hands its sockets to the tsgid installed now (as SIGUSR2 does). */
import type { UpgradeResult } from '../../daemon/upgrade/upgrade.js';
import type { CommandDef } from '../types.js';

export const upgrade: CommandDef = {
  name: 'upgrade',
  args: '',
  description: 'Start the tsgid installed now on the same sockets, with no connection refused; the old one drains and exits once the new one is ready (exits 1, with the reason, if it is not)',
  min: 0,
  max: 0,
  async run(ctx) {
    const r = await ctx.client().post<UpgradeResult>('/v1/upgrade');
    return { json: r, text: `tsgid ${r.new_pid} (tsgi ${r.version}) serves now; tsgid ${r.old_pid} drains and exits\n` };
  },
};
