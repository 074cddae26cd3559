import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Home } from './home.js';
import { isAlive } from './home.js';

/** The tmux commands a fault can be armed for. */
export type TmuxCommand = 'new-session' | 'respawn-pane' | 'list-panes';
/**
 * `fail`: exits 1 saying `server exited unexpectedly` without running anything (tmux's message when
 * its server goes away mid-command); `fail-after`: runs the command, then fails the same way (the
 * server did it, the client reported an error); `killed`: the client dies of a SIGHUP before
 * doing anything (a terminal that went away); `slow`: runs it a second late; `hang`: never returns
 * (the process sleeps until the test kills it).
 */
export type TmuxFault = 'fail' | 'fail-after' | 'killed' | 'slow' | 'hang';
/** Whose call the fault takes: the daemon's (`holdfast daemon run`), or anyone's. */
export type Caller = 'daemon' | 'any';

export interface TmuxFaults {
  /** Arms one fault: the next matching call takes it, and only that one. */
  arm(caller: Caller, command: TmuxCommand, fault: TmuxFault): void;
  /** Whether an armed fault has been taken by a call. */
  taken(caller: Caller, command: TmuxCommand, fault: TmuxFault): boolean;
  /** Kills the calls a `hang` fault holds. */
  release(): void;
  /** The pids of the calls a `hang` fault took, alive or not. */
  hung(): number[];
  /**
   * Fails every matching call until `mend`, with tmux's `protocol version mismatch` (what a client
   * says to a server of another tmux version): an error, and not a lost server.
   */
  break(caller: Caller, command: TmuxCommand): void;
  mend(): void;
}

/**
 * Puts a `tmux` in front of the real one on the home's PATH (so the CLI, the tmux server, the
 * watchdog and the daemon all call it), which fails the calls a test arms, once each.
 */
export function installTmuxFaults(h: Home): TmuxFaults {
  const real = execFileSync('sh', ['-c', 'command -v tmux'], { encoding: 'utf8' }).trim();
  const bin = join(h.dir, 'fault-bin');
  const faults = join(h.dir, 'faults');
  mkdirSync(bin, { recursive: true });
  mkdirSync(faults, { recursive: true });
  const script = `#!/usr/bin/env bash
real=${shellWord(real)}
faults=${shellWord(faults)}
who=any
if tr '\\0' ' ' <"/proc/$PPID/cmdline" 2>/dev/null | grep -q ' daemon run'; then who=daemon; fi
cmd=
for arg in "$@"; do
  case $arg in new-session | respawn-pane | list-panes) cmd=$arg; break ;; esac
done
if [ -n "$cmd" ]; then
  for w in "$who" any; do
    if [ -e "$faults/$w.$cmd.broken" ]; then
      echo 'protocol version mismatch (client 8, server 7)' >&2
      exit 1
    fi
  done
  for w in "$who" any; do
    for f in "$faults/$w.$cmd".*; do
      case $f in *.taken | *.broken) continue ;; esac
      [ -e "$f" ] || continue
      # One caller takes it: the rename succeeds for exactly one.
      mv "$f" "$f.taken" 2>/dev/null || continue
      case \${f##*.} in
        fail) echo 'server exited unexpectedly' >&2; exit 1 ;;
        fail-after) "$real" "$@" >/dev/null; echo 'server exited unexpectedly' >&2; exit 1 ;;
        killed) kill -HUP $$ ;;
        slow) sleep 1 ;;
        hang) echo $$ >"$faults/hung.$$"; exec sleep 120 ;;
      esac
      break 2
    done
  done
fi
exec "$real" "$@"
`;
  writeFileSync(join(bin, 'tmux'), script);
  chmodSync(join(bin, 'tmux'), 0o755);
  h.env.PATH = `${bin}:${h.env.PATH ?? ''}`;
  // The daemon's launches go through one control client (src/tmux/control.ts), which would take
  // a fault once for all its calls: each call is a process of its own here, as the CLI's are.
  h.env.HOLDFAST_TMUX_CONTROL = '0';
  const file = (caller: Caller, command: TmuxCommand, fault: TmuxFault) =>
    join(faults, `${caller}.${command}.${fault}`);
  const hung = () =>
    readdirSync(faults)
      .filter((entry) => entry.startsWith('hung.'))
      .map((entry) => Number(readFileSync(join(faults, entry), 'utf8').trim()))
      .filter((pid) => pid > 0);
  return {
    arm: (caller, command, fault) => writeFileSync(file(caller, command, fault), ''),
    taken: (caller, command, fault) => existsSync(`${file(caller, command, fault)}.taken`),
    release: () => {
      for (const pid of hung()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    },
    hung,
    break: (caller, command) => writeFileSync(join(faults, `${caller}.${command}.broken`), ''),
    mend: () => {
      for (const entry of readdirSync(faults)) if (entry.endsWith('.broken')) rmSync(join(faults, entry));
    },
  };
}

function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
