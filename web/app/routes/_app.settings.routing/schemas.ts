import { z } from 'zod';
import { checkbox } from '../../utils/forms';

/** The names of workflows/routing/registry.ts (api/services/settings.service.ts ROUTING_WORKFLOW_NAMES). */
export const ROUTING_WORKFLOWS = [
  { name: 'to-team', label: 'To a team (its queue)' },
  { name: 'least-loaded', label: 'Least-loaded online agent of a team' },
  { name: 'round-robin', label: 'Round robin within a team' },
  { name: 'vip-agent', label: 'A named agent (VIP)' },
  { name: 'after-hours', label: 'Business hours, else on-call team' },
] as const;
export const MATCH_KINDS = [
  { kind: 'keyword', label: 'Keyword in the message' },
  { kind: 'tag', label: 'Contact or conversation tag' },
  { kind: 'channel', label: 'Channel' },
  { kind: 'intent', label: 'Intent read by the AI' },
  { kind: 'always', label: 'Always (default rule)' },
] as const;

const optionalUuid = z.preprocess((v) => (v === '' ? undefined : v), z.uuid('Pick from the list').optional());
const hhmm = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'A time such as 09:00')
    .optional(),
);

export const RuleSchema = z
  .object({
    intent: z.enum(['create-rule', 'update-rule']),
    ruleId: optionalUuid,
    name: z.string().trim().min(1, 'Give the rule a name').max(120),
    matchKind: z.enum(['keyword', 'tag', 'channel', 'intent', 'always'], 'Choose what to match'),
    matchValue: z.string().trim().max(500).optional(),
    routingWorkflow: z.enum(
      ['to-team', 'least-loaded', 'round-robin', 'vip-agent', 'after-hours'],
      'Choose a routing workflow',
    ),
    teamId: optionalUuid,
    userId: optionalUuid,
    dayTeamId: optionalUuid,
    afterHoursTeamId: optionalUuid,
    opensAt: hhmm,
    closesAt: hhmm,
    utcOffsetMinutes: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.coerce.number().int('Whole minutes').min(-720).max(840).optional(),
    ),
    'days[]': z.array(z.coerce.number().int().min(0).max(6)).optional(),
    enabled: checkbox,
  })
  .superRefine((v, ctx) => {
    if (v.matchKind !== 'always' && !v.matchValue) {
      ctx.addIssue({ code: 'custom', path: ['matchValue'], message: 'Say what to match' });
    }
    if (['to-team', 'least-loaded', 'round-robin'].includes(v.routingWorkflow) && !v.teamId) {
      ctx.addIssue({ code: 'custom', path: ['teamId'], message: 'Pick the team' });
    }
    if (v.routingWorkflow === 'vip-agent' && !v.userId) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'Pick the agent' });
    }
    if (v.routingWorkflow === 'after-hours' && !v.dayTeamId) {
      ctx.addIssue({ code: 'custom', path: ['dayTeamId'], message: 'Pick the day team' });
    }
    if (v.intent === 'update-rule' && !v.ruleId)
      ctx.addIssue({ code: 'custom', path: ['form'], message: 'No rule given' });
  });

export type RuleForm = z.infer<typeof RuleSchema>;

/** The rule's parameters as the routing workflow reads them (docs/routing.md). */
export function paramsOf(v: RuleForm): Record<string, unknown> {
  switch (v.routingWorkflow) {
    case 'vip-agent':
      return { userId: v.userId, ...(v.teamId && { teamId: v.teamId }) };
    case 'after-hours':
      return {
        dayTeamId: v.dayTeamId,
        ...(v.afterHoursTeamId && { afterHoursTeamId: v.afterHoursTeamId }),
        opensAt: v.opensAt ?? '09:00',
        closesAt: v.closesAt ?? '17:00',
        utcOffsetMinutes: v.utcOffsetMinutes ?? 0,
        days: v['days[]'] ?? [1, 2, 3, 4, 5],
      };
    default:
      return { teamId: v.teamId };
  }
}

export const RuleIdSchema = z.object({
  intent: z.enum(['delete-rule', 'move-up', 'move-down', 'toggle-rule']),
  ruleId: z.uuid(),
});

export const RoutingActionSchema = z.union([RuleSchema, RuleIdSchema]);
