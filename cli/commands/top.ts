/**
 * tsgictl top: a live view of every app and worker (like `pm2 monit`), from GET /v1/events. On a
 * terminal it redraws in place on the alternate screen and quits on q or Ctrl-C. Into a pipe it
 * prints a plain frame a second (no escape codes); --once prints one frame and exits; --json
 * prints the events themselves, one JSON object a line.
 */
import { TsgiError } from '../../daemon/errors.js';
import { TopModel } from '../top-model.js';
import { renderFrame } from '../top-view.js';
import type { CommandDef } from '../types.js';

/** a burst of worker events (a reload of many workers) draws once */
const REDRAW_MS = 50;
const HOME = '\u001b[H';
const CLEAR_LINE = '\u001b[K';
const CLEAR_BELOW = '\u001b[J';

export const top: CommandDef = {
  name: 'top',
  args: '',
  description: 'A live view of apps and workers (q or Ctrl-C quits); into a pipe, a plain frame a second',
  min: 0,
  max: 0,
  options: {
    once: { type: 'boolean', description: 'print one frame (after a second, to measure req/s) and exit' },
  },
  async run(ctx) {
    const once = ctx.options.once === true;
    const term = ctx.terminal();
    const live = term.interactive && !once && !ctx.json;
    const model = new TopModel();
    const quit = new AbortController();
    ctx.interrupted().addEventListener('abort', () => quit.abort(), { once: true });

    const frame = (): string[] => renderFrame(model, { ...(live ? term.size() : {}), style: ctx.style, hint: live ? 'q: quit' : undefined });
    let timer: NodeJS.Timeout | undefined;
    const draw = (): void => {
      timer = undefined;
      ctx.print(`${HOME}${frame().join(`${CLEAR_LINE}\n`)}${CLEAR_LINE}${CLEAR_BELOW}`);
    };
    const redraw = (): void => {
      timer ??= setTimeout(draw, REDRAW_MS);
    };
    const restore = live ? term.enter((key) => (key === 'q' || key === 'Q' || key === '\u0003' ? quit.abort() : undefined), redraw) : () => {};

    try {
      await ctx.client().stream(
        '/v1/events',
        (data, event) => {
          if (quit.signal.aborted) return;
          const parsed: unknown = JSON.parse(data);
          if (ctx.json) ctx.print(`${JSON.stringify({ event, data: parsed })}\n`);
          const changed = model.apply(event, parsed);
          if (live) {
            if (changed) redraw();
          } else if (event === 'stats' && !ctx.json) {
            ctx.print(`${frame().join('\n')}\n\n`);
          }
          if (once && event === 'stats') quit.abort();
        },
        quit.signal,
      );
    } finally {
      clearTimeout(timer);
      restore();
    }
    if (!quit.signal.aborted) throw new TsgiError('TSGI_ERR_CLI_UNREACHABLE', 'tsgid closed the event stream (did it stop?)');
    return { json: null, text: '', streamed: true };
  },
};
