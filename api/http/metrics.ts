/**
 * `/metrics` in Prometheus' text format (DESIGN §5 "Health and metrics"): one prom-client registry
 * per web process, with Node's default process metrics plus a few of our own. Label values are
 * bounded: routes are path templates (ids become `:id`), never raw URLs.
 */
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'kliovo_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'kliovo_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (SSE streams excluded), by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const webhookAcks = new Counter({
    name: 'kliovo_webhook_responses_total',
    help: 'Webhook POSTs answered, by endpoint and status (200 = acknowledged to Meta)',
    labelNames: ['endpoint', 'status'] as const,
    registers: [registry],
  });
  const sseSubscribers = new Gauge({
    name: 'kliovo_sse_subscribers',
    help: 'Open Server-Sent Events streams in this process',
    registers: [registry],
  });
  const liveEvents = new Counter({
    name: 'kliovo_live_events_total',
    help: 'Live events received from Postgres NOTIFY, by type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const listenReconnects = new Counter({
    name: 'kliovo_live_listen_reconnects_total',
    help: 'Times the LISTEN connection to Postgres was re-established after a drop',
    registers: [registry],
  });

  /** Counts every answered request; mount first, before any router. */
  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // originalUrl: by now `req.path` is relative to whichever router answered.
      const route = routeLabel(req.originalUrl.split('?')[0] ?? '/', res.statusCode);
      const status = String(res.statusCode);
      httpRequests.inc({ method: req.method, route, status });
      if (res.getHeader('content-type')?.toString().startsWith('text/event-stream')) return;
      httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
      if (req.method === 'POST' && route.startsWith('/webhooks/')) webhookAcks.inc({ endpoint: route, status });
    });
    next();
  };

  const handler: RequestHandler = (_req, res, next) => {
    registry
      .metrics()
      .then((text) => {
        res.set('Content-Type', registry.contentType).send(text);
      })
      .catch(next);
  };

  return { registry, middleware, handler, sseSubscribers, liveEvents, listenReconnects };
}

export type Metrics = ReturnType<typeof createMetrics>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A bounded route label: API and webhook paths with ids replaced, pages by their first segment,
 * and anything answered 404 as `unmatched` (so random URLs cannot grow the series without end).
 */
export function routeLabel(path: string, status: number): string {
  if (status === 404) return 'unmatched';
  const segments = path.split('/').filter(Boolean);
  const first = segments[0];
  if (first === undefined) return '/';
  if (first === 'api' || first === 'webhooks') {
    return `/${segments
      .slice(0, 6)
      .map((s) => (UUID.test(s) || /^\d+$/.test(s) ? ':id' : s.replace(/[^a-z0-9_-]/gi, '_').slice(0, 40)))
      .join('/')}`;
  }
  if (first === 'healthz' || first === 'metrics') return `/${first}`;
  if (first === 'assets') return '/assets/*';
  return `/${first.replace(/[^a-z0-9_-]/gi, '_').slice(0, 40)}/*`;
}
