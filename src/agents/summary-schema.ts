import * as z from 'zod';
import type { TranscriptSummary } from './types.js';

/** A transcript summary as stored with its run (fields added later are optional: older runs lack them). */
export const transcriptSummarySchema: z.ZodType<TranscriptSummary> = z.looseObject({
  sessionId: z.string().nullable(),
  lastAssistant: z.string().nullable(),
  turns: z.number(),
  costUsd: z.number().nullable(),
  result: z.enum(['success', 'error']).nullable(),
  usageLimit: z
    .looseObject({
      resetAt: z.number().nullable(),
      detail: z.string(),
      resolution: z.enum(['second', 'minute']).optional(),
    })
    .nullable(),
  authFailed: z.string().nullable(),
  conversationMissing: z.boolean(),
  permissionDenials: z.array(z.looseObject({ tool: z.string(), input: z.string() })).optional(),
  lastError: z.string().nullable(),
  stopReason: z.string().nullable(),
  toolsInFlight: z.array(z.string()).optional(),
  assistantOpen: z.boolean().optional(),
});
