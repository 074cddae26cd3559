import { HoldfastError } from './errors.js';

export const TASK_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TASK_NAME_RULE =
  'lowercase letters, digits and "-", starting with a letter or digit, at most 63 characters';

export function validateTaskName(name: string): string {
  if (!TASK_NAME_PATTERN.test(name)) {
    throw new HoldfastError('EBADNAME', `invalid task name ${JSON.stringify(name)}: use ${TASK_NAME_RULE}`);
  }
  return name;
}

/** The base name a command suggests: `./long-job.sh --flag` → `long-job`, `npm run build` → `npm-run-build`. */
export function nameFromCommand(command: readonly string[]): string {
  const [program = 'task', ...args] = command;
  const base = (program.split('/').pop() ?? program).replace(/\.[a-z0-9]+$/i, '');
  const words = [base];
  // Sub-commands make names worth reading (`npm run build`); flags and paths do not.
  for (const arg of args.slice(0, 2)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(arg)) break;
    words.push(arg);
  }
  const slug = words
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return TASK_NAME_PATTERN.test(slug) ? slug : 'task';
}

/** `base`, else `base-2`, `base-3`, … : the first name `taken` does not hold. */
export function uniqueName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken(candidate)) return candidate;
  }
}
