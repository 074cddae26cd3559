/** Where the config file is; its own module, so that a look for the file loads no parser. */
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** `$HOLDFAST_CONFIG`, else `$XDG_CONFIG_HOME/holdfast/config.yaml`, else `~/.config/holdfast/config.yaml`. */
export function configPath(env: Env = process.env): string {
  if (env.HOLDFAST_CONFIG) return env.HOLDFAST_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'holdfast', 'config.yaml');
}
