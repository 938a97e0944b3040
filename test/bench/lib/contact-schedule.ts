/**
 * Which contact sends each message of an ingest step, so the step is steady traffic: new
 * conversations spread through it, not bunched at its start.
 *
 * Message i once went to contact i mod (messages / perContact): the whole first quarter of a step
 * opened conversations and the rest followed up. A 20 s step at 72 msg/s opened 72 conversations a
 * second for 5 s, several times a follow-up's cost each, and the backlog of that burst decided the
 * step (issue #6, figure 1), not the sustained mix it was meant to measure.
 *
 * Here every `perContact`-th message opens a conversation; the others follow up on the contact
 * that has waited longest since its last message, once that wait is at least `minGapMs` (a person
 * writes again, at the earliest, after a while; nor are two of one contact's messages taken in one
 * workflow task, which would flatter the product). While no contact has waited that long, the
 * message opens a conversation instead: a step starts with `minGapMs` of new conversations only,
 * then runs at one new conversation in `perContact` messages. A contact writes `perContact` messages
 * at most.
 */
export interface ContactScheduleOptions {
  /** Messages in the step. */
  total: number;
  /** Messages per second: message i is sent at i / rate s. */
  rate: number;
  perContact: number;
  minGapMs: number;
}

/** The contact index of each message (contacts are numbered in the order they first write). */
export function steadyContactSchedule({ total, rate, perContact, minGapMs }: ContactScheduleOptions): number[] {
  const contactOf: number[] = [];
  /** Contacts with messages left, the longest waiting first (a queue: appended in time order). */
  const waiting: Array<{ contact: number; lastAt: number; sent: number }> = [];
  let head = 0;
  let contacts = 0;
  for (let i = 0; i < total; i++) {
    const at = (i * 1000) / rate;
    const longest = waiting[head];
    const followUp = perContact > 1 && i % perContact !== 0 && longest !== undefined && at - longest.lastAt >= minGapMs;
    const entry = followUp ? waiting[head++]! : { contact: contacts++, lastAt: at, sent: 0 };
    entry.lastAt = at;
    entry.sent += 1;
    contactOf.push(entry.contact);
    if (entry.sent < perContact) waiting.push(entry);
  }
  return contactOf;
}
