/** `POST /v1/outcomes/:route` request (the typed client and the browser library send it). */
import { MAX_TOKEN_LENGTH } from '../experiments/assignmentToken.js';
import * as z from '../zod.js';

export const outcomeRequestSchema = z.strictObject({
  /** The assignment token of the score response (or of POST /v1/assignments/:route) the outcome follows. */
  token: z.string().min(1).max(MAX_TOKEN_LENGTH),
  /** `click`, `conversion`, or one of the route's own events (config/routes.json `events`). */
  event: z.string().min(1).max(32),
  /** The item the outcome concerns (e.g. the clicked candidate). */
  item: z.union([z.string().min(1).max(128), z.int()]).optional(),
  /** A value (revenue, dwell seconds, …): a finite number. */
  value: z.number().optional(),
  /** Chosen by the client, the same for every retry of this report: stored once per token. */
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8–64 letters, digits, "_" or "-" (e.g. a random UUID without dashes)'),
});
export type OutcomeRequest = z.infer<typeof outcomeRequestSchema>;
