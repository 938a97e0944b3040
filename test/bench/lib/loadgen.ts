/**
 * An open-loop webhook load generator: posts signed WhatsApp webhooks (Meta's bytes, WIRE.md §1.2,
 * through test/support/webhooks.ts) at a target rate whatever the server's pace, with a bound on
 * requests in flight. Latency is measured from the request's scheduled time (so a server that
 * falls behind cannot hide it by slowing the generator down: no coordinated omission) and, apart,
 * from the moment it was actually sent.
 */
import http from 'node:http';
import { metaJson, signature, whatsappTextWebhook } from '../../support/webhooks';
import { APP_SECRET, PHONE_NUMBER_ID } from './world';

export interface SentMessage {
  seq: number;
  contact: string;
  externalId: string;
  /** Epoch ms the open-loop schedule wanted it sent. */
  scheduledAt: number;
  sentAt: number;
  ackAt: number;
  status: number;
}

export interface LoadResult {
  rate: number;
  durationS: number;
  messages: SentMessage[];
  /** Schedule slots that waited for a free in-flight slot. */
  delayedByInFlight: number;
  maxInFlightSeen: number;
  /** Epoch ms of the first scheduled send and of the last acknowledgement. */
  startedAt: number;
  endedAt: number;
}

export interface LoadOptions {
  baseUrl: string;
  rate: number;
  durationS: number;
  /** Which contact sends message i (contact-schedule.ts); by default each message its own contact. */
  contactOf?: (seq: number) => number;
  /** Unique per run, so external ids and contacts never collide across runs on one database. */
  tag: string;
  maxInFlight?: number;
  onProgress?: (line: string) => void;
}

/** A contact's wa_id: digits only, as WhatsApp sends them. */
export function contactWaId(tag: string, i: number): string {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.charCodeAt(0)) % 1_000_000;
  return `49${String(h).padStart(6, '0')}${String(i).padStart(7, '0')}`;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const maxInFlight = opts.maxInFlight ?? 256;
  const total = Math.max(1, Math.round(opts.rate * opts.durationS));
  const url = new URL('/webhooks/whatsapp', opts.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const messages: SentMessage[] = [];
  let inFlight = 0;
  let maxInFlightSeen = 0;
  let delayedByInFlight = 0;
  const startedAt = Date.now() + 20;
  let next = 0;
  let done = 0;
  let lastProgress = Date.now();

  const post = (seq: number, scheduledAt: number) =>
    new Promise<void>((resolve) => {
      const contactIndex = opts.contactOf ? opts.contactOf(seq) : seq;
      const contact = contactWaId(opts.tag, contactIndex);
      const externalId = `wamid.bench.${opts.tag}.${seq}`;
      const raw = metaJson(
        whatsappTextWebhook({
          phoneNumberId: PHONE_NUMBER_ID,
          from: contact,
          name: `Bench ${contactIndex}`,
          text: `Hello, this is message ${seq} about my order #${100000 + contactIndex}`,
          id: externalId,
        }),
      );
      const record: SentMessage = { seq, contact, externalId, scheduledAt, sentAt: Date.now(), ackAt: 0, status: 0 };
      messages.push(record);
      inFlight += 1;
      maxInFlightSeen = Math.max(maxInFlightSeen, inFlight);
      const finish = (status: number) => {
        record.ackAt = Date.now();
        record.status = status;
        inFlight -= 1;
        done += 1;
        resolve();
      };
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': raw.length,
            'x-hub-signature-256': signature(raw, APP_SECRET),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => finish(res.statusCode ?? 0));
          res.on('error', () => finish(0));
        },
      );
      // Meta gives up on a webhook after a while and redelivers; 30 s is far beyond any target here.
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => finish(0));
      req.end(raw);
    });

  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      while (next < total) {
        const scheduledAt = startedAt + (next * 1000) / opts.rate;
        if (scheduledAt > now) break;
        if (inFlight >= maxInFlight) {
          delayedByInFlight += 1;
          break;
        }
        pending.push(post(next, scheduledAt));
        next += 1;
      }
      if (opts.onProgress && now - lastProgress >= 5_000) {
        lastProgress = now;
        opts.onProgress(`  … ${done}/${total} acknowledged, ${inFlight} in flight`);
      }
      if (next >= total) return resolve();
      setTimeout(tick, 2);
    };
    setTimeout(tick, Math.max(0, startedAt - Date.now()));
  });
  await Promise.all(pending);
  agent.destroy();
  return {
    rate: opts.rate,
    durationS: opts.durationS,
    messages,
    delayedByInFlight,
    maxInFlightSeen,
    startedAt,
    endedAt: Math.max(...messages.map((m) => m.ackAt)),
  };
}
