/**
 * The reconciler: after the faults, with the load drained, it proves from three independent
 * records that nothing acknowledged was lost or done twice.
 *
 * - What Meta was told: every webhook answered 200 (the load generator's acknowledgements).
 * - What the workflows saw: every `inboundMessage` signal in every run's history, and every
 *   `recordInboundMessage` they ran (a message must be recorded exactly once): the activities of
 *   older histories by input, and the local activities' markers by count against the distinct
 *   messages each workflow was sent (a marker does not carry the input).
 * - What the projection holds: `messages` rows, `events` rows (SLA tiers, AI replies) and what the
 *   fake Graph API received (a reply sent twice reaches the customer twice).
 *
 * SLA timers: every `sla_breached` / `escalated` event carries `dueAt` and `firedAt` (workflow
 * time when the tier's timer fired). A tier due during an outage must fire at most 5 s after the
 * part came back; a tier still overdue in the live `state` query afterwards never fired at all.
 */
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Knex } from 'knex';
import type { FakeGraph } from '../../support/fake-graph';
import { localActivityType } from '../../support/history';
import { CONVERSATION_WORKFLOW_TYPE, stateQuery } from '../../../workflows/conversation/contract';
import type { FaultKind, FaultRecord } from './faults';
import type { TrackedMessage } from './load';

/** A tier due in an outage must fire this soon after recovery. */
export const LATE_AFTER_RECOVERY_MS = 5_000;
/** A message sent this soon after recovery still counts to that fault's window. */
const WINDOW_TAIL_MS = 5_000;
/** A tier due just before the signal may not have been handled yet when the fault hit. */
const WINDOW_HEAD_MS = 1_000;

export type Window = FaultKind | 'steady';

export interface WindowStats {
  faults: number;
  acknowledged: number;
  projected: number;
  duplicates: number;
  lost: number;
  timersDue: number;
  lateTimers: number;
  /** Largest firedAt − max(dueAt, recoveredAt) of the tiers due in this kind's outages (ms). */
  maxTimerDelayMs: number | null;
  /** Largest projection lag of those tiers: event row written − max(dueAt, recoveredAt) (ms). */
  maxProjectionLagMs: number | null;
}

export interface Finding {
  what: string;
  detail: string;
}

export interface Reconciliation {
  windows: Record<Window, WindowStats>;
  totals: {
    messagesWritten: number;
    acknowledged: number;
    unacknowledged: number;
    projected: number;
    projectedWithoutAck: number;
    lost: number;
    duplicateRows: number;
    workflowsChecked: number;
    runsChecked: number;
    seenByWorkflows: number;
    recordedTwiceByWorkflows: number;
    seenNotProjected: number;
    aiReplies: number;
    duplicateAiReplies: number;
    duplicateSends: number;
    slaEvents: number;
    duplicateSlaEvents: number;
    /** Routing and ownership events (assigned, unassigned, reopened): how many, how many repeated. */
    ownershipEvents: number;
    repeatedOwnershipEvents: number;
    timersDueInOutages: number;
    lateTimers: number;
    missedTimers: number;
    steadyMaxTimerDelayMs: number | null;
  };
  findings: Finding[];
}

export async function reconcile(opts: {
  db: Knex;
  temporalAddress: string;
  channelId: string;
  messages: TrackedMessage[];
  faults: FaultRecord[];
  graph: FakeGraph;
  tiersMs: readonly [number, number, number];
}): Promise<Reconciliation> {
  const { db, messages, faults } = opts;
  const findings: Finding[] = [];
  const windowOf = (t: number): FaultRecord | undefined =>
    faults.find((f) => t >= f.injectedAt && t <= f.recoveredAt + WINDOW_TAIL_MS);
  const windows = Object.fromEntries(
    (['worker-kill', 'web-kill', 'temporal-kill', 'postgres-kill', 'worker-pause', 'steady'] as Window[]).map((w) => [
      w,
      {
        faults: faults.filter((f) => f.kind === w).length,
        acknowledged: 0,
        projected: 0,
        duplicates: 0,
        lost: 0,
        timersDue: 0,
        lateTimers: 0,
        maxTimerDelayMs: null,
        maxProjectionLagMs: null,
      } satisfies WindowStats,
    ]),
  ) as Record<Window, WindowStats>;
  const statsAt = (t: number) => windows[windowOf(t)?.kind ?? 'steady'];

  // ---- acknowledged ids against message rows ------------------------------------------------
  const rows: Array<{ external_id: string; n: string }> = await db('messages')
    .where({ channel_id: opts.channelId, direction: 'inbound' })
    .whereNotNull('external_id')
    .groupBy('external_id')
    .select('external_id', db.raw('count(*) as n'));
  const rowCount = new Map(rows.map((r) => [r.external_id, Number(r.n)]));
  let lost = 0;
  let duplicateRows = 0;
  let projectedWithoutAck = 0;
  for (const m of messages) {
    const stats = statsAt(m.firstAttemptAt);
    const n = rowCount.get(m.externalId) ?? 0;
    if (m.ackedAt === undefined) {
      if (n > 0) projectedWithoutAck += 1;
      continue;
    }
    stats.acknowledged += 1;
    if (n >= 1) stats.projected += 1;
    if (n === 0) {
      stats.lost += 1;
      lost += 1;
      findings.push({ what: 'lost', detail: `${m.externalId} was acknowledged (HTTP 200) but has no message row` });
    }
    if (n > 1) {
      stats.duplicates += n - 1;
      duplicateRows += n - 1;
      findings.push({ what: 'duplicate message', detail: `${m.externalId} has ${n} rows` });
    }
  }

  // ---- what the workflows saw ----------------------------------------------------------------
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const seen = new Set<string>();
  const recorded = new Map<string, number>();
  /** Per workflow: customer-message writes by local activity, and the distinct messages it was sent. */
  const localWrites = new Map<string, number>();
  const seenBy = new Map<string, Set<string>>();
  /** Per workflow: the timeouts in its histories, to explain a late tier. */
  const timeouts = new Map<string, Array<{ at: number; what: string }>>();
  const workflowIds = new Set<string>();
  let runsChecked = 0;
  try {
    for await (const info of client.workflow.list({ query: `WorkflowType = '${CONVERSATION_WORKFLOW_TYPE}'` })) {
      workflowIds.add(info.workflowId);
      runsChecked += 1;
      const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      const activityTypes = new Map<string, string>();
      const noted = timeouts.get(info.workflowId) ?? [];
      timeouts.set(info.workflowId, noted);
      for (const event of history.events ?? []) {
        const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
        if (event.activityTaskScheduledEventAttributes) {
          activityTypes.set(
            String(event.eventId),
            event.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
          );
        }
        if (event.workflowTaskTimedOutEventAttributes) {
          const type = event.workflowTaskTimedOutEventAttributes.timeoutType;
          noted.push({
            at,
            what: `workflow task timed out (${type === 1 ? 'start-to-close' : type === 2 ? 'sticky schedule-to-start' : type})`,
          });
        }
        const started = event.activityTaskStartedEventAttributes;
        if (started) {
          const type = activityTypes.get(String(started.scheduledEventId));
          if (type === 'sendChannelMessage') noted.push({ at, what: `send attempt ${started.attempt} started` });
        }
        if (event.activityTaskTimedOutEventAttributes) {
          const type = activityTypes.get(String(event.activityTaskTimedOutEventAttributes.scheduledEventId)) ?? '?';
          noted.push({ at, what: `${type} timed out` });
        }
        const signal = event.workflowExecutionSignaledEventAttributes;
        if (signal?.signalName === 'inboundMessage') {
          const message = decode<{ externalId?: string }>(signal.input?.payloads?.[0]);
          if (message?.externalId) {
            seen.add(message.externalId);
            const mine = seenBy.get(info.workflowId) ?? new Set<string>();
            seenBy.set(info.workflowId, mine.add(message.externalId));
          }
        }
        // Since the write became a local activity its input is not in the history, only a marker:
        // a workflow must not write more customer messages than distinct ones it was sent. A run's
        // opening stores its first message (OPEN_WITH_FIRST_MESSAGE_PATCH).
        if (['recordInboundMessage', 'openConversationWithMessage'].includes(localActivityType(event) ?? ''))
          localWrites.set(info.workflowId, (localWrites.get(info.workflowId) ?? 0) + 1);
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name === 'recordInboundMessage') {
          const input = decode<{ externalId?: string }>(scheduled.input?.payloads?.[0]);
          if (input?.externalId) {
            const key = `${info.workflowId}|${input.externalId}`;
            recorded.set(key, (recorded.get(key) ?? 0) + 1);
          }
        }
      }
    }
    let recordedTwice = 0;
    for (const [key, n] of recorded) {
      if (n > 1) {
        recordedTwice += 1;
        findings.push({
          what: 'recorded twice',
          detail: `${key.split('|')[1]} was recorded ${n} times by its workflow`,
        });
      }
    }
    for (const [workflowId, writes] of localWrites) {
      const sent = seenBy.get(workflowId)?.size ?? 0;
      if (writes > sent) {
        recordedTwice += writes - sent;
        findings.push({
          what: 'recorded twice',
          detail: `${workflowId} wrote ${writes} customer messages by local activity but was sent ${sent} distinct ones`,
        });
      }
    }
    let seenNotProjected = 0;
    for (const id of seen) {
      if (!rowCount.has(id)) {
        seenNotProjected += 1;
        findings.push({ what: 'not projected', detail: `${id} reached its workflow but has no message row` });
      }
    }
    for (const id of rowCount.keys()) {
      if (!seen.has(id)) findings.push({ what: 'unexplained row', detail: `${id} has a row but no workflow saw it` });
    }

    // ---- AI replies: never two for one customer turn, never one sent twice --------------------
    const thread: Array<{ conversation_id: string; direction: string; author_kind: string; created_at: Date }> =
      await db('messages')
        .where({ channel_id: opts.channelId })
        .orderBy([{ column: 'conversation_id' }, { column: 'created_at' }, { column: 'id' }])
        .select('conversation_id', 'direction', 'author_kind', 'created_at');
    let aiReplies = 0;
    let duplicateAiReplies = 0;
    let previous: { conversation: string; aiSinceInbound: boolean } = { conversation: '', aiSinceInbound: false };
    for (const m of thread) {
      if (m.conversation_id !== previous.conversation)
        previous = { conversation: m.conversation_id, aiSinceInbound: false };
      if (m.direction === 'inbound') previous.aiSinceInbound = false;
      else if (m.author_kind === 'ai') {
        aiReplies += 1;
        if (previous.aiSinceInbound) {
          duplicateAiReplies += 1;
          statsAt(m.created_at.getTime()).duplicates += 1;
          findings.push({
            what: 'duplicate AI reply',
            detail: `conversation ${m.conversation_id} at ${m.created_at.toISOString()}`,
          });
        }
        previous.aiSinceInbound = true;
      }
    }
    const sends = new Map<string, number>();
    for (const r of opts.graph.requests) {
      const ref = (r.body as { biz_opaque_callback_data?: string } | undefined)?.biz_opaque_callback_data;
      if (r.operation === 'send' && ref) sends.set(ref, (sends.get(ref) ?? 0) + 1);
    }
    let duplicateSends = 0;
    for (const [ref, n] of sends) {
      if (n > 1) {
        duplicateSends += n - 1;
        const row = await db('messages as m')
          .join('conversations as cv', 'cv.id', 'm.conversation_id')
          .where('m.id', ref)
          .first('m.created_at', 'm.author_kind', 'cv.workflow_id');
        statsAt(row?.created_at?.getTime() ?? 0).duplicates += n - 1;
        const attempts = (timeouts.get(row?.workflow_id ?? '') ?? [])
          .filter((t) => t.at >= (row?.created_at?.getTime() ?? 0) - 1_000)
          .map((t) => `${iso(t.at).slice(11, 23)} ${t.what}`)
          .join('; ');
        findings.push({
          what: 'duplicate send',
          detail: `${row?.author_kind ?? '?'} message ${ref} (stored ${row ? iso(row.created_at.getTime()) : '?'}) reached the Graph API ${n} times; its workflow: ${attempts}`,
        });
      }
    }

    // ---- SLA tiers: once per level per waiting period, on time after an outage --------------
    const slaEvents: Array<{ conversation_id: string; type: string; data: Record<string, number>; created_at: Date }> =
      await db('events')
        .whereIn('type', ['sla_breached', 'escalated'])
        .whereRaw(`data->>'dueAt' is not null`)
        .select('conversation_id', 'type', 'data', 'created_at');
    const perPeriod = new Map<string, number>();
    let timersDueInOutages = 0;
    let lateTimers = 0;
    let steadyMax: number | null = null;
    const workflowOf = new Map<string, string>(
      (await db('conversations').select('id', 'workflow_id')).map((c: { id: string; workflow_id: string }) => [
        c.id,
        c.workflow_id,
      ]),
    );
    for (const e of slaEvents) {
      const level = Number(e.data.level);
      const dueAt = Number(e.data.dueAt);
      const firedAt = Number(e.data.firedAt);
      const since = dueAt - opts.tiersMs[level - 1]!;
      const key = `${e.conversation_id}|${level}|${since}`;
      perPeriod.set(key, (perPeriod.get(key) ?? 0) + 1);
      const outage = faults.find((f) => dueAt >= f.injectedAt - WINDOW_HEAD_MS && dueAt <= f.recoveredAt);
      if (!outage) {
        steadyMax = Math.max(steadyMax ?? 0, firedAt - dueAt);
        continue;
      }
      timersDueInOutages += 1;
      const stats = windows[outage.kind];
      stats.timersDue += 1;
      const delay = firedAt - Math.max(dueAt, outage.recoveredAt);
      const lag = e.created_at.getTime() - Math.max(dueAt, outage.recoveredAt);
      stats.maxTimerDelayMs = Math.max(stats.maxTimerDelayMs ?? delay, delay);
      stats.maxProjectionLagMs = Math.max(stats.maxProjectionLagMs ?? lag, lag);
      if (delay > LATE_AFTER_RECOVERY_MS) {
        lateTimers += 1;
        stats.lateTimers += 1;
        const causes = new Map<string, number>();
        for (const t of timeouts.get(workflowOf.get(e.conversation_id) ?? '') ?? []) {
          if (t.at >= outage.injectedAt && t.at <= firedAt) causes.set(t.what, (causes.get(t.what) ?? 0) + 1);
        }
        const why = [...causes].map(([what, n]) => `${n}× ${what}`).join(', ') || 'no timeout in its history';
        findings.push({
          what: 'late timer',
          detail: `level ${level} of conversation ${e.conversation_id}: due ${iso(dueAt)}, ${outage.kind} recovered ${iso(outage.recoveredAt)}, fired ${iso(firedAt)} (+${delay} ms; meanwhile ${why})`,
        });
      }
    }
    let duplicateSlaEvents = 0;
    for (const [key, n] of perPeriod) {
      if (n > 1) {
        duplicateSlaEvents += n - 1;
        const [conversation, level] = key.split('|');
        findings.push({
          what: 'duplicate escalation',
          detail: `level ${level} fired ${n} times in one waiting period of ${conversation}`,
        });
        const first = slaEvents.find(
          (e) =>
            `${e.conversation_id}|${e.data.level}|${Number(e.data.dueAt) - opts.tiersMs[Number(e.data.level) - 1]!}` ===
            key,
        );
        statsAt(first?.created_at.getTime() ?? 0).duplicates += n - 1;
      }
    }

    // ---- routing and ownership: a change written once ------------------------------------------
    // The main loop writes these with local activities, whose writes commit even when their
    // workflow task fails; the retried task must write the same rows (workflows/conversation/
    // effect-ids.ts). A repeat shows as the same event twice in a row in a conversation's timeline:
    // a real second routing, release or reopening always has another event between (a handover,
    // an unassignment, a resolution).
    const timeline: Array<{
      id: string;
      conversation_id: string;
      type: string;
      actor_kind: string;
      actor_user_id: string | null;
      data: unknown;
      created_at: Date;
    }> = await db('events as e')
      .join('conversations as cv', 'cv.id', 'e.conversation_id')
      .where('cv.channel_id', opts.channelId)
      .orderBy([{ column: 'e.conversation_id' }, { column: 'e.created_at' }, { column: 'e.version' }])
      .select('e.id', 'e.conversation_id', 'e.type', 'e.actor_kind', 'e.actor_user_id', 'e.data', 'e.created_at');
    const OWNERSHIP = new Set(['assigned', 'unassigned', 'reopened']);
    let ownershipEvents = 0;
    let repeatedOwnershipEvents = 0;
    const fingerprint = (e: (typeof timeline)[number]) =>
      JSON.stringify([e.conversation_id, e.type, e.actor_kind, e.actor_user_id, e.data]);
    for (const [i, e] of timeline.entries()) {
      if (!OWNERSHIP.has(e.type)) continue;
      ownershipEvents += 1;
      const before = timeline[i - 1];
      if (before && fingerprint(before) === fingerprint(e)) {
        repeatedOwnershipEvents += 1;
        statsAt(e.created_at.getTime()).duplicates += 1;
        findings.push({
          what: 'repeated ownership event',
          detail: `'${e.type}' written twice in a row for conversation ${e.conversation_id} (${iso(before.created_at.getTime())}, ${iso(e.created_at.getTime())})`,
        });
      }
    }

    // ---- tiers that never fired: still overdue in the live state -------------------------------
    let missedTimers = 0;
    const now = Date.now();
    for (const workflowId of workflowIds) {
      try {
        const state = await client.workflow.getHandle(workflowId).query(stateQuery);
        if (state.sla && state.sla.dueAt < now - LATE_AFTER_RECOVERY_MS) {
          missedTimers += 1;
          findings.push({
            what: 'missed timer',
            detail: `${workflowId}: ${state.sla.nextTier} was due ${iso(state.sla.dueAt)} and has not fired`,
          });
        }
      } catch {
        // a completed run has no live state; its timers ended with it
      }
    }

    const acknowledged = messages.filter((m) => m.ackedAt !== undefined).length;
    return {
      windows,
      totals: {
        messagesWritten: messages.length,
        acknowledged,
        unacknowledged: messages.length - acknowledged,
        projected: messages.filter((m) => m.ackedAt !== undefined && rowCount.has(m.externalId)).length,
        projectedWithoutAck,
        lost,
        duplicateRows,
        workflowsChecked: workflowIds.size,
        runsChecked,
        seenByWorkflows: seen.size,
        recordedTwiceByWorkflows: recordedTwice,
        seenNotProjected,
        aiReplies,
        duplicateAiReplies,
        duplicateSends,
        slaEvents: slaEvents.length,
        duplicateSlaEvents,
        ownershipEvents,
        repeatedOwnershipEvents,
        timersDueInOutages,
        lateTimers,
        missedTimers,
        steadyMaxTimerDelayMs: steadyMax,
      },
      findings,
    };
  } finally {
    await connection.close();
  }
}

function decode<T>(payload: Payload | null | undefined): T | undefined {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    return undefined;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Whether the run proved what it must: nothing lost, nothing twice, no late or missed timer. */
export function passed(r: Reconciliation): boolean {
  const t = r.totals;
  return (
    t.unacknowledged === 0 &&
    t.lost === 0 &&
    t.duplicateRows === 0 &&
    t.recordedTwiceByWorkflows === 0 &&
    t.seenNotProjected === 0 &&
    t.duplicateAiReplies === 0 &&
    t.duplicateSends === 0 &&
    t.duplicateSlaEvents === 0 &&
    t.repeatedOwnershipEvents === 0 &&
    t.lateTimers === 0 &&
    t.missedTimers === 0
  );
}
