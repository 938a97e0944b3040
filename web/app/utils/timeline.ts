/** Timeline events in plain words: the thread's inline rows and the customer history. */
import type { EventView } from '../../../api/services/inbox.service';
import { LEVEL_LABELS, STATUS_LABELS, TIER_LABELS } from './format';

export type EventRow = EventView & { actorName: string | null };

export interface Names {
  users: Record<string, string>;
  teams: Record<string, string>;
}

function actorOf(e: EventRow): string {
  if (e.actorName) return e.actorName;
  return e.actorKind === 'ai' ? 'The AI' : e.actorKind === 'contact' ? 'The customer' : 'Automation';
}

export function target(to: unknown, names: Names): string {
  const t = (to ?? {}) as { kind?: string; userId?: string; teamId?: string };
  if (t.kind === 'agent') return names.users[t.userId ?? ''] ?? 'an agent';
  if (t.kind === 'team') {
    const team = names.teams[t.teamId ?? ''];
    return team ? `the ${team} team` : 'a team';
  }
  if (t.kind === 'manager') return 'the managers';
  if (t.kind === 'routing') return 'routing';
  return 'someone';
}

/** One timeline row in plain words. */
export function describeEvent(e: EventRow, names: Names): string {
  const d = e.data as Record<string, unknown>;
  const reason = typeof d.reason === 'string' && d.reason ? ` (${d.reason})` : '';
  switch (e.type) {
    case 'created':
      return 'Conversation started';
    case 'handover_requested':
      return `${actorOf(e)} handed over to ${target(d.to, names)}${reason}`;
    case 'assigned': {
      const to = (d.to ?? {}) as { kind?: string; userId?: string };
      if (
        to.kind === 'agent' &&
        e.actorKind === 'agent' &&
        e.actorName &&
        names.users[to.userId ?? ''] === e.actorName
      ) {
        return `${e.actorName} took the conversation${reason}`;
      }
      return `Assigned to ${target(d.to, names)}${reason}`;
    }
    case 'unassigned':
      return `${names.users[String(d.from)] ?? 'The owner'} no longer owns it${reason}`;
    case 'escalated': {
      const level = Number(d.level ?? 0);
      return `Escalated to ${LEVEL_LABELS[level]?.toLowerCase() ?? `level ${level}`} tier${reason}`;
    }
    case 'sla_breached':
      return `SLA ${(TIER_LABELS[String(d.tier)] ?? 'standard').toLowerCase()} tier breached: the customer is still waiting`;
    case 'tagged': {
      const added = Array.isArray(d.added) ? d.added.join(', ') : '';
      const removed = Array.isArray(d.removed) ? d.removed.join(', ') : '';
      return added ? `${actorOf(e)} tagged ${added}` : `${actorOf(e)} removed tag ${removed}`;
    }
    case 'status_changed':
      return `${STATUS_LABELS[String(d.from)] ?? d.from} → ${STATUS_LABELS[String(d.to)] ?? d.to}${reason}`;
    case 'resolved':
      return `${actorOf(e)} resolved the conversation`;
    case 'reopened':
      return `Reopened${reason}`;
    default:
      return e.type.replace(/_/g, ' ');
  }
}
