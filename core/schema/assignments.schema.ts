/** `POST /v1/assignments/:route` request and response (the browser library reads the response type). */
import { UNIT_KEY_PATTERN } from '../experiments/assignment.js';
import * as z from '../zod.js';

export const assignmentRequestSchema = z.strictObject({
  unitHash: z.string().regex(UNIT_KEY_PATTERN, '64 lowercase hex digits: SHA-256 of "unit:<unit id>"'),
});

export const assignmentResponseSchema = z.object({
  route: z.string(),
  variant: z.string(),
  model: z.object({ name: z.string(), version: z.string() }),
  bucket: z.int(),
  rankBy: z.string(),
  assignment: z.object({ token: z.string(), expiresAt: z.string() }),
});
export type AssignmentResponse = z.infer<typeof assignmentResponseSchema>;

