/** tsgictl run JOB: start a run of a scheduled job (`cron`) now. */
import type { AppStatus } from '../../daemon/pool/app-pool.js';
import type { CommandDef } from '../types.js';

export const runJob: CommandDef = {
  name: 'run',
  args: 'JOB',
  description: 'Start a run of a scheduled job (cron) now; its outcome shows in status',
  min: 1,
  max: 1,
  async run({ args, client }) {
    const job = args[0]!;
    const res = await client().post<{ run: 'started' | 'queued'; app: AppStatus }>(`/v1/apps/${encodeURIComponent(job)}/run`);
    const next = res.app.job?.next_run_at;
    return { json: res, text: `${job}: run ${res.run}${res.run === 'queued' ? ' (after the one going)' : ''}${next ? `; next scheduled ${new Date(next).toISOString()}` : ''}\n` };
  },
};
