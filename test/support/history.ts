/** Reads a workflow's history the way the Temporal UI shows it: named timers and event counts. */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export interface TimerRecord {
  timerId: string;
  summary: string | undefined;
  fired: boolean;
  canceled: boolean;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function historyEvents(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** Every durable timer of the run, with the summary (name) it was started with. */
export async function timers(handle: WorkflowHandle): Promise<TimerRecord[]> {
  const events = await historyEvents(handle);
  const byId = new Map<string, TimerRecord>();
  for (const e of events) {
    if (e.timerStartedEventAttributes) {
      const id = e.timerStartedEventAttributes.timerId!;
      const payload = e.userMetadata?.summary;
      const summary = payload ? (defaultPayloadConverter.fromPayload(payload as never) as string) : undefined;
      byId.set(id, { timerId: id, summary, fired: false, canceled: false });
    }
    if (e.timerFiredEventAttributes) byId.get(e.timerFiredEventAttributes.timerId!)!.fired = true;
    if (e.timerCanceledEventAttributes) byId.get(e.timerCanceledEventAttributes.timerId!)!.canceled = true;
  }
  return [...byId.values()];
}

export const timersNamed = async (handle: WorkflowHandle, name: string) =>
  (await timers(handle)).filter((t) => t.summary === name);

/**
 * The type of the local activity a marker records, or undefined for any other event (a local
 * activity leaves only a marker, whose details name its type, not its input).
 */
export function localActivityType(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const payload = marker.details?.data?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<{ activity_type?: string }>(payload).activity_type;
  } catch {
    return undefined;
  }
}

/** The runs of an activity in a history, whether scheduled as an ordinary activity or run locally. */
export function activityRuns(events: HistoryEvent[], activityType: string): number {
  return events.filter(
    (e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === activityType ||
      localActivityType(e) === activityType,
  ).length;
}
