/**
 * Steady signed-webhook load, the way Meta delivers it: WhatsApp text webhooks (WIRE.md §1.4,
 * signed with the app secret) from a stream of customers, each following a short script:
 *
 *   1. "Hello, …"                    the AI answers (fake OpenAI: a reply)
 *   2. "What is the price of …"      the AI hands over; the customer now waits for a human and
 *                                    the SLA tiers (3 s, 6 s, 9 s in the worker) start counting
 *   3. a follow-up or two            recorded while the customer keeps waiting
 *   4. sometimes an agent reply      through POST /api/v1/conversations/:id/messages, then the
 *                                    customer writes again: a new waiting period, new timers
 *
 * Every webhook answered with anything but 200 (or not answered) is delivered again with backoff
 * until it is acknowledged, as Meta retries; some acknowledged ones are delivered again on purpose
 * (Meta's at-least-once delivery). The generator remembers what was acknowledged, and when.
 */
import type { Knex } from 'knex';
import { metaJson, signature, whatsappTextWebhook } from '../../support/webhooks';

export interface TrackedMessage {
  externalId: string;
  contact: string;
  /** WhatsApp's timestamp (whole seconds, as Meta sends it), in ms. */
  sentAt: number;
  /** When the first delivery attempt was made (ms). */
  firstAttemptAt: number;
  attempts: number;
  /** When the first 200 came back; undefined while unacknowledged. */
  ackedAt?: number;
  /** Deliberate deliveries after the acknowledgement. */
  redeliveries: number;
  body: Buffer;
}

export interface LoadOptions {
  baseUrl: string;
  appSecret: string;
  phoneNumberId: string;
  /** The owner's API token for agent replies. */
  agentToken: string;
  db: Knex;
  channelId: string;
  rng: () => number;
  /** A new customer every this many ms. */
  newCustomerEveryMs: number;
  /** Share of acknowledged webhooks delivered once more on purpose. */
  redeliverShare: number;
  runId: string;
  log: (line: string) => void;
}

export interface LoadStats {
  requests: number;
  answers: Record<string, number>;
  agentReplies: { attempted: number; ok: number };
}

const REQUEST_TIMEOUT_MS = 15_000;

export function createLoad(opts: LoadOptions) {
  const messages = new Map<string, TrackedMessage>();
  const stats: LoadStats = { requests: 0, answers: {}, agentReplies: { attempted: 0, ok: 0 } };
  const timers = new Set<NodeJS.Timeout>();
  let producing = false;
  let customers = 0;
  let inFlight = 0;
  const rand = (min: number, max: number) => min + Math.floor(opts.rng() * (max - min + 1));

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  /** Script steps stop when production stops; deliveries and retries never do. */
  const step = (ms: number, fn: () => void) => later(ms, () => producing && fn());

  function customerWrites(contact: string, n: number, text: string): void {
    const externalId = `wamid.chaos-${opts.runId}-${contact}-${n}`;
    const sentAt = Math.floor(Date.now() / 1000);
    const body = metaJson(
      whatsappTextWebhook({
        phoneNumberId: opts.phoneNumberId,
        from: contact,
        name: `Chaos customer ${contact.slice(-4)}`,
        text,
        id: externalId,
        timestamp: sentAt,
      }),
    );
    const message: TrackedMessage = {
      externalId,
      contact,
      sentAt: sentAt * 1000,
      firstAttemptAt: Date.now(),
      attempts: 0,
      redeliveries: 0,
      body,
    };
    messages.set(externalId, message);
    void deliver(message);
  }

  async function post(body: Buffer): Promise<string> {
    stats.requests += 1;
    inFlight += 1;
    try {
      const res = await fetch(`${opts.baseUrl}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(body, opts.appSecret) },
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return String(res.status);
    } catch (err) {
      const name = (err as { name?: string; cause?: { code?: string } })?.cause?.code ?? (err as Error).name;
      return `error:${name ?? 'unknown'}`;
    } finally {
      inFlight -= 1;
    }
  }

  async function deliver(message: TrackedMessage): Promise<void> {
    message.attempts += 1;
    const answer = await post(message.body);
    stats.answers[answer] = (stats.answers[answer] ?? 0) + 1;
    if (answer === '200') {
      if (message.ackedAt === undefined) {
        message.ackedAt = Date.now();
        if (opts.rng() < opts.redeliverShare) later(rand(300, 5_000), () => void redeliver(message));
      }
      return;
    }
    if (message.ackedAt !== undefined) return;
    // Meta retries with backoff; here quicker, so the run ends in minutes.
    later(Math.min(8_000, 500 * 2 ** Math.min(message.attempts, 4)), () => void deliver(message));
  }

  async function redeliver(message: TrackedMessage): Promise<void> {
    message.redeliveries += 1;
    const answer = await post(message.body);
    stats.answers[`redelivery:${answer}`] = (stats.answers[`redelivery:${answer}`] ?? 0) + 1;
  }

  async function agentReply(contact: string): Promise<boolean> {
    stats.agentReplies.attempted += 1;
    try {
      const row = await opts
        .db('conversations')
        .where({ workflow_id: `conv:${opts.channelId}:${contact}` })
        .first('id');
      if (!row) return false;
      const res = await fetch(`${opts.baseUrl}/api/v1/conversations/${row.id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.agentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Thanks for waiting, a colleague is looking into it now.' }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 201) stats.agentReplies.ok += 1;
      return res.status === 201;
    } catch {
      return false;
    }
  }

  function newCustomer(): void {
    customers += 1;
    const contact = `49170${String(customers).padStart(7, '0')}`;
    customerWrites(contact, 1, `Hello, I have a question about order ${customers}.`);
    step(rand(2_000, 5_000), () => {
      customerWrites(contact, 2, 'What is the price of the premium plan?');
      const followUps = rand(0, 2);
      for (let i = 0; i < followUps; i++) {
        step(rand(1_000, 8_000) * (i + 1), () => customerWrites(contact, 3 + i, `Any news? (${i + 1})`));
      }
      if (opts.rng() < 0.5) {
        step(rand(4_000, 12_000), () => {
          void agentReply(contact).then((ok) => {
            if (ok) step(rand(1_000, 4_000), () => customerWrites(contact, 10, 'Thanks! And when will it ship?'));
          });
        });
      }
    });
  }

  function produce(): void {
    if (!producing) return;
    newCustomer();
    step(opts.newCustomerEveryMs, produce);
  }

  return {
    messages,
    stats,
    start(): void {
      producing = true;
      produce();
    },
    /** No new customers or script steps; deliveries and retries of what was written go on. */
    stopProducing(): void {
      producing = false;
    },
    unacknowledged(): TrackedMessage[] {
      return [...messages.values()].filter((m) => m.ackedAt === undefined);
    },
    /**
     * Waits until every message written was acknowledged and nothing is pending (retries and
     * deliberate redeliveries included), or the deadline passes.
     */
    async drain(timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (this.unacknowledged().length === 0 && inFlight === 0 && timers.size === 0) return true;
        await new Promise((r) => setTimeout(r, 250));
      }
      return false;
    },
    stop(): void {
      producing = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

export type Load = ReturnType<typeof createLoad>;
