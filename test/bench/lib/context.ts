/** What every scenario receives: the prepared world, the sizes, and where figures go. */
import type { FigureRow } from './report';
import type { BenchEnv, Log } from './world';

export interface Sizes {
  full: boolean;
  /** Seconds per rate step of the S_raw search. */
  rawStepS: number;
  /** Seconds per rate step of the ingest search (figure 1) and of figures 2 and 3. */
  ingestStepS: number;
  /** No-op workflows with 3 timers each for T_raw (same count as the SLA conversations). */
  timerWorkflows: number;
  /** Open conversations, 3 pending SLA tiers each (figures 4 and 5). */
  slaConversations: number;
  inboxConversations: number;
  messagesPerConversation: number;
  agents: number;
  agentPhaseS: number;
  memoryConversations: number;
  historyConversations: number;
  historyMessages: number;
}

export const DEFAULT_SIZES: Sizes = {
  full: false,
  rawStepS: 15,
  ingestStepS: 20,
  timerWorkflows: 1_000,
  slaConversations: 1_000,
  inboxConversations: 100_000,
  messagesPerConversation: 10,
  agents: 50,
  agentPhaseS: 25,
  memoryConversations: 2_000,
  historyConversations: 5,
  historyMessages: 21,
};

export const FULL_SIZES: Sizes = {
  ...DEFAULT_SIZES,
  full: true,
  rawStepS: 30,
  ingestStepS: 60,
  timerWorkflows: 10_000,
  slaConversations: 10_000,
  agentPhaseS: 60,
  historyConversations: 10,
  historyMessages: 41,
};

export interface BenchContext {
  env: BenchEnv;
  sizes: Sizes;
  log: Log;
  rows: Map<string, FigureRow>;
  /** One line per scenario for the report's log (sizes used, anything unusual). */
  notes: string[];
  raw: {
    sRaw?: number;
    /** Server + worker CPU ms per no-op signal-with-start at the highest sustained step. */
    sRawCpuMs?: number;
    tRawP99?: number;
    tRawDrainS?: number;
    qRawP95?: number;
  };
  /** Figure 1, messages/s, once measured (figures 2, 3, 8 and the SLA ramp use it). */
  f1?: number;
  /** Every process this run started (excluded from the "machine was shared" check). */
  ownPids: Set<number>;
}

export interface Scenario {
  name: string;
  /** Figures it produces. */
  figures: string[];
  /** Scenarios whose results it needs (run first when selected with --only). */
  needs: string[];
  run(ctx: BenchContext): Promise<void>;
}
