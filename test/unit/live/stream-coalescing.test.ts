/**
 * The stream's writes (issue #6, figure 8): events that reach one stream within the coalescing
 * window go out in one socket write, in order, and events still held when the server ends the
 * stream (sign-out, shutdown) are written before it ends. The router runs on a real HTTP server;
 * the auth and live services are stand-ins (this is about the wire, not who may see what).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createStreamRouter } from '../../../api/routes/v1/stream.router';
import type { AuthService } from '../../../api/services/auth.service';
import type { DeliveredEvent, LiveService, LiveSubscription } from '../../../api/services/live.service';

const actor = { id: 'u1', email: 'ann@stream.test', name: 'Ann', role: 'agent' as const };

async function startStreamServer(coalesceMs: number) {
  const writes: string[] = [];
  let subscribed!: (sub: LiveSubscription) => void;
  const subscription = new Promise<LiveSubscription>((resolve) => (subscribed = resolve));
  const live = {
    async subscribe(_actor: unknown, sub: LiveSubscription) {
      subscribed(sub);
      return () => undefined;
    },
  } as unknown as LiveService;
  const auth = { sessionActor: async () => actor, tokenActor: async () => actor } as unknown as AuthService;
  const app = express();
  // Counts the response's writes: what goes to the socket, one call per write.
  app.use((_req, res, next) => {
    const write = res.write.bind(res) as (chunk: unknown) => boolean;
    res.write = ((chunk: unknown) => {
      writes.push(String(chunk));
      return write(chunk);
    }) as typeof res.write;
    next();
  });
  app.use(createStreamRouter({ auth, live, coalesceMs }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  let received = '';
  const ended = new Promise<void>((resolve) => {
    http.get(`http://127.0.0.1:${port}/stream`, { headers: { cookie: 'kliovo_session=x' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => (received += c));
      res.on('end', resolve);
      res.on('close', resolve);
    });
  });
  const sub = await subscription;
  return {
    sub,
    writes,
    received: () => received,
    async stop() {
      sub.close();
      await ended;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const message = (n: number): DeliveredEvent => ({ type: 'message', conversationId: `c${n}`, messageId: `m${n}` });
const eventWrites = (writes: string[]) => writes.filter((w) => w.includes('event: message'));

describe('the live stream’s writes', () => {
  it('writes events sent within the window in one write, in order', async () => {
    const s = await startStreamServer(40);
    s.sub.send(message(1));
    s.sub.send(message(2));
    s.sub.send(message(3));
    await waitUntil(() => (s.received().match(/event: message/g) ?? []).length === 3);
    expect(eventWrites(s.writes)).toHaveLength(1);
    const ids = [...s.received().matchAll(/"messageId":"(m\d)"/g)].map((m) => m[1]);
    expect(ids).toEqual(['m1', 'm2', 'm3']);
    await s.stop();
  });

  it('writes what it holds before the server ends the stream', async () => {
    const s = await startStreamServer(60_000);
    s.sub.send(message(7));
    await s.stop();
    expect(s.received()).toContain('"messageId":"m7"');
  });

  it('writes each event at once when coalescing is off', async () => {
    const s = await startStreamServer(0);
    s.sub.send(message(1));
    s.sub.send(message(2));
    expect(eventWrites(s.writes)).toHaveLength(2);
    await s.stop();
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
