/** The queue list's URL: which queue (a path segment) and the filter form (search params). */
import { z } from 'zod';

export const STATUS_FILTERS = ['open', 'bot', 'queued', 'assigned', 'pending', 'snoozed', 'resolved', 'any'] as const;
export const CHANNEL_FILTERS = ['whatsapp', 'messenger', 'instagram'] as const;

/** `team-<uuid>` in the URL is the service's `team:<uuid>` queue (a colon would read as a URL scheme). */
export const QueueParam = z.union([
  z.enum(['all', 'mine', 'unassigned', 'escalated']),
  z.string().regex(/^team-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i),
]);

export const FilterSchema = z.object({
  status: z.enum(STATUS_FILTERS).catch('open').default('open'),
  channel: z.enum(CHANNEL_FILTERS).optional().catch(undefined),
  q: z
    .string()
    .trim()
    .max(100)
    .optional()
    .catch(undefined)
    .transform((v) => v || undefined),
  cursor: z.string().max(512).optional().catch(undefined),
});

export type Filters = z.infer<typeof FilterSchema>;

export function serviceQueue(param: string): 'all' | 'mine' | 'unassigned' | 'escalated' | `team:${string}` {
  return param.startsWith('team-') ? `team:${param.slice('team-'.length)}` : (param as 'all');
}
