/**
 * The config file's shape. Keys are written as on the command line (kebab-case), so a `run:` entry
 * reads like the flag it stands for; values are validated again by the same code that parses the flag.
 */
import * as z from 'zod';
import { NOTIFY_EVENTS, type SinkSpec, WEBHOOK_FORMATS } from '../core/notify.js';

const flagValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

const events = z.array(z.enum(NOTIFY_EVENTS)).optional();
const common = { name: z.string().min(1).optional(), events };

const sinkSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('command'), argv: z.array(z.string()).min(1), ...common }),
    z.strictObject({
      type: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/ }),
      format: z.enum(WEBHOOK_FORMATS).default('raw'),
      secret: z.string().min(1).optional(),
      'secret-env': z
        .string()
        // The daemon starts with a minimal environment (no secret of one shell outlives it), which
        // keeps HOLDFAST_* variables: any other name would be unset where the webhook is sent.
        .regex(/^HOLDFAST_[A-Za-z0-9_]+$/, 'must name a HOLDFAST_… variable: the daemon keeps only those')
        .optional(),
      ...common,
    }),
    z.strictObject({ type: z.literal('desktop'), ...common }),
  ])
  .transform((sink): SinkSpec => {
    if (sink.type !== 'webhook') return sink;
    const { 'secret-env': secretEnv, ...rest } = sink;
    return secretEnv === undefined ? rest : { ...rest, secretEnv };
  });

const agentDefaults = z.strictObject({
  model: z.string().min(1).optional(),
  unattended: z.boolean().optional(),
  'stall-timeout': z.string().optional(),
  'tool-timeout': z.string().optional(),
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
});

/** The keys an `agents.<kind>:` section may set: each is also a `run` flag. */
export const AGENT_DEFAULT_KEYS: readonly string[] = Object.keys(agentDefaults.shape);

export const configSchema = z.strictObject({
  /** A default for any `holdfast run` flag, by its long name without `--`. */
  run: z.record(z.string(), flagValue).default({}),
  /** Per agent kind (claude, codex, …): defaults that win over `run:` for that agent's tasks. */
  agents: z.record(z.string(), agentDefaults).default({}),
  daemon: z.strictObject({ 'boot-stagger': z.string().optional() }).default({}),
  /** The global notification sinks: every task without its own `--notify` uses these. */
  notify: z.array(sinkSchema).default([]),
});

export type Config = z.output<typeof configSchema>;
export type ConfigFlagValue = z.output<typeof flagValue>;

export const EMPTY_CONFIG: Config = configSchema.parse({});
