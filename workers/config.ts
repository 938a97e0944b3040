/**
 * Worker process configuration (STYLE §12): one zod schema over the environment, parsed once
 * at start. `baseEnvSchema` holds the variables every process shares; api/config.ts extends it.
 */
import { z } from 'zod';

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as 500ms, 3s, 5m, 1h or 7d')
  .transform(parseDurationMs);

export function parseDurationMs(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${value}`);
  const n = Number(match[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.url().default('postgres://postgres:postgres@127.0.0.1:54329/kliovo'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('kliovo-inbox'),
  META_GRAPH_BASE_URL: z.url().default('https://graph.facebook.com'),
  META_GRAPH_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'expected a Graph API version such as v25.0')
    .default('v25.0'),
  SLA_DEFAULT_TIERS: z
    .string()
    .default('5m,15m,30m')
    .transform((value, ctx) => {
      const parts = value.split(',').map((p) => p.trim());
      try {
        const tiers = parts.map(parseDurationMs);
        if (tiers.length !== 3) throw new Error('three tiers');
        if (!(tiers[0]! < tiers[1]! && tiers[1]! < tiers[2]!)) throw new Error('increasing');
        return tiers as [number, number, number];
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected three increasing durations, e.g. 5m,15m,30m' });
        return z.NEVER;
      }
    }),
  /** Where inbound media files are kept (the worker writes them, the web serves them). */
  MEDIA_DIR: z.string().min(1).default('.data/media'),
});

const workerEnvSchema = baseEnvSchema.extend({
  /** A prebuilt workflow bundle (npm run build:workflows); without it the worker bundles at start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** How long a conversation workflow idles with nothing open before it completes. */
  CONVERSATION_IDLE_TIMEOUT: duration.default(7 * 86_400_000),
  /** An OpenAI-compatible chat completions endpoint for the AI first response. */
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  /** Empty or unset: the deterministic keyword-FAQ fallback answers instead, labelled as such. */
  OPENAI_API_KEY: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() ? v.trim() : undefined)),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT: duration.default(20_000),
  /** Outbound messages per second per WhatsApp number (WIRE.md §3.3: 80; 1000 after Meta's upgrade; 20 coexistence). */
  WHATSAPP_THROUGHPUT_MPS: z.coerce.number().positive().max(1000).default(80),
  /** Spacing of messages to one WhatsApp user (WIRE.md §3.3 pair rate: 1 per 6 s). */
  WHATSAPP_PAIR_GAP: duration.default(6_000),
  /** Messages to one user that may go back to back before the gap applies (Meta lets up to 45 borrow). */
  WHATSAPP_PAIR_BURST: z.coerce.number().int().min(1).max(45).default(3),
  /** Workflow tasks the worker runs at once (create-worker.ts explains the default of 40). */
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(1).max(500).optional(),
  /**
   * Threads of their own that run workflow code; 0, the default, runs it on the worker's main
   * thread (create-worker.ts says why). Two threads were measured against one on this 2-core
   * machine's ingest (BENCHMARKS.md, 2026-11-25 15:02): no higher sustained rate.
   */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(0).max(16).default(0),
  /**
   * The worker's nice value (0–19) beside the web process on one machine (cpu-priority.ts): the
   * web's pages and acknowledgements go first when both want the CPU. 0 leaves the priority alone.
   */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /**
   * 'on' gives the Temporal UI each conversation's call stack (the `__stack_trace` queries), at a
   * quarter to a third of the worker's CPU per message: the SDK then captures and formats a stack
   * trace for every promise a workflow creates (and, with workflow code on the main thread, the
   * hook sees the activities' promises too). Read where workflow code starts (patches/README.md);
   * turn it on and restart the worker to see where a stuck conversation waits.
   */
  WORKER_WORKFLOW_STACK_TRACES: z.enum(['on', 'off']).default('off'),
  /** The approved utility template for agents' WhatsApp alerts, parameters [title, body]. */
  AGENT_NOTIFY_TEMPLATE: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'a template name: lowercase letters, digits and _')
    .default('agent_alert'),
  AGENT_NOTIFY_TEMPLATE_LANGUAGE: z
    .string()
    .regex(/^[a-z]{2,3}(_[A-Za-z0-9]{2,4}){0,2}$/, 'a language code such as en or en_US')
    .default('en'),
});

export type BaseConfig = z.infer<typeof baseEnvSchema>;
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

/** Parses the environment or throws one error naming every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseEnv(workerEnvSchema, env);
}
