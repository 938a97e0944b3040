/**
 * The worked example of docs/routing.md: inside business hours the conversation goes to the day
 * team's least-loaded agent; outside them, to the on-call team's queue. `Date.now()` is safe here:
 * in workflow code it is the deterministic time of the current workflow task, replayed identically.
 * Params: { dayTeamId, afterHoursTeamId, opensAt: 'HH:MM', closesAt: 'HH:MM', utcOffsetMinutes?, days?: number[] (0 = Sunday) }.
 */
import type { RoutingContext, RoutingDecision } from './contract';
import { paramString } from './params';

export async function afterHoursRoutingWorkflow(ctx: RoutingContext): Promise<RoutingDecision> {
  const dayTeamId = paramString(ctx.params, 'dayTeamId') ?? ctx.teamId;
  const afterHoursTeamId = paramString(ctx.params, 'afterHoursTeamId') ?? dayTeamId;
  if (isOpen(ctx.params, Date.now())) {
    return { teamId: dayTeamId, autoAssign: 'least-loaded', reason: `rule "${ctx.rule}": within business hours` };
  }
  return { teamId: afterHoursTeamId, reason: `rule "${ctx.rule}": outside business hours, to the on-call queue` };
}

/** Whether `now` falls inside the configured opening hours (local time by a fixed UTC offset). */
export function isOpen(params: Record<string, unknown>, now: number): boolean {
  const opens = minutesOf(paramString(params, 'opensAt') ?? '09:00');
  const closes = minutesOf(paramString(params, 'closesAt') ?? '17:00');
  const offset = typeof params.utcOffsetMinutes === 'number' ? params.utcOffsetMinutes : 0;
  const days = Array.isArray(params.days)
    ? params.days.filter((d): d is number => typeof d === 'number')
    : [1, 2, 3, 4, 5];
  if (opens === null || closes === null) return true;
  const local = new Date(now + offset * 60_000);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  return days.includes(local.getUTCDay()) && minute >= opens && minute < closes;
}

function minutesOf(hhmm: string): number | null {
  const match = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!match) return null;
  const [h, m] = [Number(match[1]), Number(match[2])];
  // 24:00 is the end of the day, so a window can cover all of it.
  return (h < 24 && m < 60) || (h === 24 && m === 0) ? h * 60 + m : null;
}
