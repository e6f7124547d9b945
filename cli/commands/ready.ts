/**
 * tsgictl ready: exit 0 when every app has its target workers ready (GET /v1/ready), 1 with the
 * reasons when not, 3 when tsgid cannot be reached. For a container's HEALTHCHECK and scripts
 * that wait for a deploy (`until tsgictl ready; do sleep 1; done`).
 */
import type { CommandDef } from '../types.js';

export const ready: CommandDef = {
  name: 'ready',
  args: '',
  description: 'Exit 0 when every app has its workers ready, 1 (with the reasons) when not: for HEALTHCHECK',
  min: 0,
  max: 0,
  async run(ctx) {
    const r = await ctx.client().get<{ ready: boolean }>('/v1/ready');
    return { json: r, text: 'ready\n' };
  },
};
