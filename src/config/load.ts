/** Where the config file is and what it says, validated, with errors that name the file, line and key. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { HoldfastError } from '../core/errors.js';
import { type Config, configSchema, EMPTY_CONFIG } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `$HOLDFAST_CONFIG`, else `$XDG_CONFIG_HOME/holdfast/config.yaml`, else `~/.config/holdfast/config.yaml`. */
export function configPath(env: Env = process.env): string {
  if (env.HOLDFAST_CONFIG) return env.HOLDFAST_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'holdfast', 'config.yaml');
}

/** The config in force: an absent file is the built-in defaults; a bad one is an `ECONFIG` error. */
export function loadConfig(env: Env = process.env): Config {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG;
    throw new HoldfastError('ECONFIG', `${path}: cannot read the config file: ${(error as Error).message}`);
  }
  return parseConfig(text, path);
}

const HINT = 'fix the file, then check it with: holdfast config check';

export function parseConfig(text: string, path: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new HoldfastError('ECONFIG', `${path}:${line}: ${firstLine(yamlError.message)}`, { hint: HINT });
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keyPath = issue.path.map(String);
  const line = lineOf(doc, lineCounter, issue);
  const where = line === null ? path : `${path}:${line}`;
  const key = keyPath.length === 0 ? '' : `${keyPath.join('.')}: `;
  throw new HoldfastError('ECONFIG', `${where}: ${key}${issue.message}`, { hint: HINT });
}

/** The line of the deepest node of the issue's path that exists in the file (an unknown key: the key itself). */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  issue: z.core.$ZodIssue,
): number | null {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth) as (string | number)[];
    const node = prefix.length === 0 ? doc.contents : doc.getIn(prefix, true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range !== undefined) {
      // A key's own position reads better than its value's: find the pair in the parent map.
      return lineCounter.linePos(keyStart(doc, prefix) ?? range[0]).line;
    }
  }
  return null;
}

function keyStart(doc: ReturnType<typeof parseDocument>, path: (string | number)[]): number | null {
  if (path.length === 0) return null;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] })
    ?.items;
  const last = path[path.length - 1];
  const pair = items?.find((item) => item.key?.value === last);
  return pair?.key?.range?.[0] ?? null;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
