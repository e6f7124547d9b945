/**
 * tsgictl completion bash|zsh|fish: a script that completes commands, flags, and the running
 * daemon's app names (it runs `tsgictl completion apps`, which prints them one a line and nothing
 * when no daemon answers). The commands and flags come from the same declarations as the usage.
 */
import { usageError } from '../errors.js';
import type { CommandDef, OptionDef } from '../types.js';
import { GLOBAL_OPTIONS } from '../usage.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

export function completion(commands: readonly CommandDef[]): CommandDef {
  const def: CommandDef = {
    name: 'completion',
    args: 'bash|zsh|fish',
    description: 'Print a shell completion script (bash: eval "$(tsgictl completion bash)"; zsh likewise; fish: tsgictl completion fish | source)',
    min: 1,
    max: 1,
    async run({ args, client }) {
      const shell = args[0]!;
      if (shell === 'apps') {
        // what the scripts call at each <Tab>: quiet and empty when no daemon answers
        const names = await client()
          .get<{ apps: Array<{ name: string }> }>('/v1/apps')
          .then((s) => s.apps.map((a) => a.name), () => []);
        return { json: names, text: names.map((n) => `${n}\n`).join('') };
      }
      if (!(SHELLS as readonly string[]).includes(shell)) throw usageError(`completion: expected one of ${SHELLS.join(', ')}, got "${shell}"`);
      const all = [...commands, def];
      const text = shell === 'fish' ? fish(all) : shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash(all)}` : bash(all);
      return { json: { shell, script: text }, text };
    },
  };
  return def;
}

const flags = (opts: Record<string, OptionDef> | undefined): string[] => Object.entries(opts ?? {}).flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]);
const valued = (opts: Record<string, OptionDef> | undefined): string[] => Object.entries(opts ?? {}).filter(([, o]) => o.type === 'string').flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])]);
const takesApp = (c: CommandDef): boolean => /^\[?APP/.test(c.args);
const sq = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

function bash(commands: readonly CommandDef[]): string {
  const first = [...new Set(commands.map((c) => c.name.split(' ')[0]!))];
  const groups = new Map<string, string[]>();
  for (const c of commands) if (c.name.includes(' ')) groups.set(c.name.split(' ')[0]!, [...(groups.get(c.name.split(' ')[0]!) ?? []), c.name.split(' ')[1]!]);
  const cmdFlags = commands.filter((c) => c.options).map((c) => `      ${sq(c.name)}) f="$f ${flags(c.options).join(' ')}" ;;`).join('\n');
  const apps = commands.filter(takesApp).map((c) => c.name);
  const allToo = commands.filter((c) => c.args.startsWith('APP|all')).map((c) => c.name);
  return `# tsgictl completion for bash: eval "$(tsgictl completion bash)", or save it in /etc/bash_completion.d/tsgictl
_tsgictl() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local cmd="" n=0 i w
  # the command (one word, or two for a group) and how many arguments follow it, skipping flags and their values
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case $w in
      ${[...valued(GLOBAL_OPTIONS), ...commands.flatMap((c) => valued(c.options))].filter((x, j, a) => a.indexOf(x) === j).join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=$w
         elif [[ $n -eq 0 && " ${[...groups.keys()].join(' ')} " == *" $cmd "* ]]; then cmd="$cmd $w"
         else ((n++)); fi ;;
    esac
  done
  case $prev in
    -c|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valued(GLOBAL_OPTIONS).filter((f) => !['-c', '--config', '--socket'].includes(f)).concat(...commands.map((c) => valued(c.options))).filter((x, j, a) => a.indexOf(x) === j).join('|')}) return ;;
  esac
  if [[ $cur == -* ]]; then
    local f=${sq(flags(GLOBAL_OPTIONS).join(' '))}
    case $cmd in
${cmdFlags}
    esac
    COMPREPLY=($(compgen -W "$f" -- "$cur"))
    return
  fi
  if [[ -z $cmd ]]; then COMPREPLY=($(compgen -W ${sq(first.join(' '))} -- "$cur")); return; fi
  case $cmd in
${[...groups].map(([g, subs]) => `    ${sq(g)}) COMPREPLY=($(compgen -W ${sq(subs.join(' '))} -- "$cur")); return ;;`).join('\n')}
    completion) [[ $n -eq 0 ]] && COMPREPLY=($(compgen -W 'bash zsh fish' -- "$cur")); return ;;
  esac
  if [[ $n -eq 0 && " ${apps.join(' ')} " == *" $cmd "* ]]; then
    local extra=""
    [[ " ${allToo.join(' ')} " == *" $cmd "* ]] && extra=all
    COMPREPLY=($(compgen -W "$(tsgictl completion apps 2>/dev/null) $extra" -- "$cur"))
  fi
}
complete -F _tsgictl tsgictl
`;
}

function fish(commands: readonly CommandDef[]): string {
  const lines = ['# tsgictl completion for fish: tsgictl completion fish | source, or save it as ~/.config/fish/completions/tsgictl.fish', 'complete -c tsgictl -f'];
  const firsts = new Map<string, string>();
  for (const c of commands) {
    const [head, sub] = c.name.split(' ') as [string, string | undefined];
    if (!firsts.has(head)) firsts.set(head, sub === undefined ? c.description : `${head} commands`);
    if (sub !== undefined) lines.push(`complete -c tsgictl -n '__fish_seen_subcommand_from ${head}' -a ${sq(sub)} -d ${sq(c.description)}`);
  }
  for (const [head, d] of firsts) lines.push(`complete -c tsgictl -n __fish_use_subcommand -a ${sq(head)} -d ${sq(d)}`);
  const option = (n: string, o: OptionDef, cond: string) => `complete -c tsgictl${cond}${o.short ? ` -s ${o.short}` : ''} -l ${n}${o.type === 'string' ? ' -r' : ''}${n === 'config' || n === 'socket' ? ' -F' : ''} -d ${sq(o.description)}`;
  for (const [n, o] of Object.entries(GLOBAL_OPTIONS)) lines.push(option(n, o, ''));
  for (const c of commands) for (const [n, o] of Object.entries(c.options ?? {})) lines.push(option(n, o, ` -n '__fish_seen_subcommand_from ${c.name.split(' ').at(-1)}'`));
  const apps = commands.filter(takesApp).map((c) => c.name);
  lines.push(`complete -c tsgictl -n '__fish_seen_subcommand_from ${apps.join(' ')}' -a '(tsgictl completion apps 2>/dev/null)'`);
  lines.push(`complete -c tsgictl -n '__fish_seen_subcommand_from ${commands.filter((c) => c.args.startsWith('APP|all')).map((c) => c.name).join(' ')}' -a all`);
  lines.push(`complete -c tsgictl -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'`);
  return `${lines.join('\n')}\n`;
}
