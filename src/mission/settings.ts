/**
 * A mission's settings: its budget and how its sessions run. `settingsFromFlags` turns the flags
 * of `mission init` and `build` into settings (a usage error names the flag); `parseSettings`
 * checks what the store holds before the runner acts on it. Pure.
 */
import * as z from 'zod';
import { parseDuration } from '../core/duration.js';
import { HoldfastError } from '../core/errors.js';

/** resume: keep the conversation; fresh: a new one each session; auto: resume while it is small. */
export const CONTINUE_MODES = ['auto', 'resume', 'fresh'] as const;
export type ContinueMode = (typeof CONTINUE_MODES)[number];

export const missionSettingsSchema = z.object({
  // 0 is a budget that is used up; `mission init` asks for at least 1.
  maxSessions: z.number().int().nonnegative().nullable(),
  maxHours: z.number().positive().nullable(),
  maxCostUsd: z.number().positive().nullable(),
  continueMode: z.enum(CONTINUE_MODES),
  freshAfterBytes: z.number().positive(),
  stallTimeoutMs: z.number().int().nonnegative(),
  /** The umask of the `mission init` that defined it, for the tasks the mission creates. */
  umask: z.string().regex(/^[0-7]{3,4}$/),
  /** `mission init --worktree`: the mission works in a git worktree of its own (its session task's). */
  worktree: z
    .object({
      branch: z.string(),
      repo: z.string(),
      path: z.string(),
      base: z.string(),
      sourceCwd: z.string(),
    })
    .optional(),
});
export type MissionSettings = z.infer<typeof missionSettingsSchema>;

/** The flags as commander hands them over (defaults filled in). */
export interface SettingsFlags {
  maxSessions: string;
  maxHours: string;
  maxCost?: string | undefined;
  continue: string;
  freshAfter: string;
  stallTimeout: string;
  /** Not a flag: the user's umask, as three octal digits. */
  umask: string;
}

const positive = (flag: string) =>
  z.string().transform((text, ctx) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${flag}: expected a positive number, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return n;
  });

const flagsSchema = z.object({
  // A fraction of a session means the sessions below it.
  maxSessions: positive('--max-sessions').transform(Math.floor),
  maxHours: positive('--max-hours'),
  maxCost: positive('--max-cost').optional(),
  continue: z.string().refine((mode) => (CONTINUE_MODES as readonly string[]).includes(mode), {
    error: (issue) =>
      `--continue: expected one of ${CONTINUE_MODES.join(', ')}, got ${JSON.stringify(issue.input)}`,
  }),
  freshAfter: positive('--fresh-after'),
  stallTimeout: z.string(),
  umask: z.string(),
});

/** The settings the flags ask for; `EUSAGE` naming the first flag that is wrong. */
export function settingsFromFlags(flags: SettingsFlags): MissionSettings {
  const parsed = flagsSchema.safeParse(flags);
  if (!parsed.success) throw new HoldfastError('EUSAGE', parsed.error.issues[0]!.message);
  const f = parsed.data;
  if (f.maxSessions < 1) {
    throw new HoldfastError(
      'EUSAGE',
      `--max-sessions: expected at least 1 session, got ${JSON.stringify(flags.maxSessions)}`,
    );
  }
  return parseSettings({
    maxSessions: f.maxSessions,
    maxHours: f.maxHours,
    maxCostUsd: f.maxCost ?? null,
    continueMode: f.continue as ContinueMode,
    freshAfterBytes: f.freshAfter,
    stallTimeoutMs: parseDuration(f.stallTimeout, '--stall-timeout'),
    umask: f.umask,
  });
}

/** The settings a mission row holds, checked: a row that does not fit is an error, never a guess. */
export function parseSettings(value: unknown): MissionSettings {
  const parsed = missionSettingsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new HoldfastError(
    'EMISSION',
    `the mission's settings are not valid: ${issue.path.join('.') || 'settings'}: ${issue.message}`,
  );
}
