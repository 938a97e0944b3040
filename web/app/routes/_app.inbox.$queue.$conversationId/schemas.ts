/**
 * The thread page's forms (STYLE §7): one schema per form, each posted with its `intent`; the
 * action parses the discriminated union. Limits are the workflow contract's.
 */
import { z } from 'zod';

// The limits of workflows/conversation/contract.ts, repeated: this module is also bundled for the
// browser, where importing the contract would pull in the Temporal workflow SDK. The workflow's
// validators still enforce the originals; keep these equal.
export const MAX_REPLY_LENGTH = 4096;
export const MAX_NOTE_LENGTH = 4096;
export const MAX_REASON_LENGTH = 500;
export const MAX_TAG_LENGTH = 40;
export const MAX_TEMPLATE_PARAMETER_LENGTH = 1024;

const uuid = z.uuid('Pick from the list');
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

export const ReplySchema = z.object({
  intent: z.literal('reply'),
  text: z.string().trim().min(1, 'Write a reply first').max(MAX_REPLY_LENGTH, `At most ${MAX_REPLY_LENGTH} characters`),
});

export const NoteSchema = z.object({
  intent: z.literal('note'),
  text: z.string().trim().min(1, 'Write the note first').max(MAX_NOTE_LENGTH, `At most ${MAX_NOTE_LENGTH} characters`),
});

export const TemplateSchema = z.object({
  intent: z.literal('template'),
  template: z.string().regex(/^[a-z0-9_]{1,512}\|[A-Za-z_]{2,12}$/, 'Pick a template'),
  'param[]': z
    .array(
      z
        .string()
        .trim()
        .min(1, 'Fill in every placeholder')
        .max(MAX_TEMPLATE_PARAMETER_LENGTH)
        .refine((v) => !/[\n\t]| {5,}/.test(v), 'No line breaks, tabs or runs of spaces'),
    )
    .default([]),
});

export const ClaimSchema = z.object({ intent: z.literal('claim') });

export const AssignSchema = z
  .object({
    intent: z.literal('assign'),
    userId: z.preprocess(emptyToUndefined, uuid.optional()),
    teamId: z.preprocess(emptyToUndefined, uuid.optional()),
  })
  .refine((v) => v.userId || v.teamId, { message: 'Pick a person, a team, or both', path: ['form'] });

export const HandoverSchema = z
  .object({
    intent: z.literal('handover'),
    to: z.enum(['agent', 'team', 'manager'], 'Choose who takes over'),
    userId: z.preprocess(emptyToUndefined, uuid.optional()),
    teamId: z.preprocess(emptyToUndefined, uuid.optional()),
    reason: z
      .string('Say why you hand it over')
      .trim()
      .min(1, 'Say why you hand it over')
      .max(MAX_REASON_LENGTH, `At most ${MAX_REASON_LENGTH} characters`),
    note: z.string().trim().max(MAX_NOTE_LENGTH).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.to === 'agent' && !v.userId) ctx.addIssue({ code: 'custom', path: ['userId'], message: 'Pick an agent' });
    if (v.to === 'team' && !v.teamId) ctx.addIssue({ code: 'custom', path: ['teamId'], message: 'Pick a team' });
  });

const tag = z
  .string('Write a tag')
  .trim()
  .min(1, 'Write a tag')
  .max(MAX_TAG_LENGTH, `At most ${MAX_TAG_LENGTH} characters`);
export const TagSchema = z.object({ intent: z.literal('tag'), tag });
export const UntagSchema = z.object({ intent: z.literal('untag'), tag });

export const SNOOZE_PRESETS = ['1h', '3h', 'tomorrow', 'next-week', 'custom'] as const;
export const SnoozeSchema = z
  .object({
    intent: z.literal('snooze'),
    preset: z.enum(SNOOZE_PRESETS, 'Choose when'),
    until: z.string().optional(),
    /** The browser's `getTimezoneOffset()`: "tomorrow 9:00" means the agent's 9:00. */
    tzOffset: z.coerce.number().int().min(-900).max(900).catch(0),
  })
  .superRefine((v, ctx) => {
    if (v.preset === 'custom' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v.until ?? '')) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'Pick a date and time' });
    }
  });

export const ResolveSchema = z.object({ intent: z.literal('resolve') });
export const ReopenSchema = z.object({ intent: z.literal('reopen') });

export const ThreadActionSchema = z.discriminatedUnion('intent', [
  ReplySchema,
  NoteSchema,
  TemplateSchema,
  ClaimSchema,
  AssignSchema,
  HandoverSchema,
  TagSchema,
  UntagSchema,
  SnoozeSchema,
  ResolveSchema,
  ReopenSchema,
]);
export type ThreadAction = z.infer<typeof ThreadActionSchema>;

const HOUR = 3_600_000;

/**
 * When a snooze ends, in UTC: presets count from `now`; "tomorrow" and "next week" are 9:00 in the
 * agent's time zone (`tzOffset` minutes behind UTC, as the browser reports it).
 */
export function snoozeUntil(input: { preset: string; until?: string; tzOffset: number }, now: number): Date {
  const offsetMs = input.tzOffset * 60_000;
  const local = new Date(now - offsetMs); // wall-clock fields read with getUTC*
  const nineAt = (daysAhead: number) =>
    new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + daysAhead, 9, 0) + offsetMs);
  switch (input.preset) {
    case '1h':
      return new Date(now + HOUR);
    case '3h':
      return new Date(now + 3 * HOUR);
    case 'tomorrow':
      return nineAt(1);
    case 'next-week': {
      const day = local.getUTCDay(); // 0 Sunday … 6 Saturday; next Monday, 1 to 7 days ahead
      return nineAt((8 - day) % 7 || 7);
    }
    default: {
      const [date, time] = (input.until ?? '').split('T');
      const [y, m, d] = (date ?? '').split('-').map(Number);
      const [hh, mm] = (time ?? '').split(':').map(Number);
      return new Date(Date.UTC(y!, m! - 1, d!, hh!, mm!) + offsetMs);
    }
  }
}
