/**
 * The AI first response's contract (DESIGN §3, "AI first response"): what the workflow asks and
 * what it gets back. The model's answer is structured output validated in the activity; the
 * workflow never sees provider JSON.
 */

export type AiAction = 'reply' | 'handover';
export type AiUrgency = 'low' | 'normal' | 'high' | 'urgent';

export interface DraftAiResponseInput {
  /** The projection row; the activity reads the recent thread and the AI settings itself. */
  conversationId: string;
}

export interface AiDecision {
  action: AiAction;
  /** The text to send to the customer when action is 'reply'. */
  reply?: string;
  /** Why a human should take over, when action is 'handover'. */
  reason?: string;
  /** One or two sentences for the agent who picks the conversation up. */
  summary: string;
  /** A short snake_case label such as order_status, pricing, complaint, human_request. */
  intent: string;
  urgency: AiUrgency;
  /** 'model' when the configured model decided; 'fallback' for the keyless keyword FAQ. */
  source: 'model' | 'fallback';
}

/** Connection settings for an OpenAI-compatible chat completions endpoint. */
export interface AiConfig {
  /** Absent: the deterministic fallback answers, and says so in its events. */
  apiKey?: string;
  /** e.g. https://api.openai.com/v1, or the fake OpenAI server in tests. */
  baseUrl: string;
  model: string;
  timeoutMs: number;
}

/** Workspace AI settings, stored as JSON under the key 'ai' in workspace_settings. */
export interface AiSettings {
  /** When false, new conversations go straight to routing without an AI first response. */
  enabled: boolean;
  /** Extra instructions for the model (business name, tone, what it may answer). */
  instructions: string;
  /** The keyless fallback answers these; the model also sees them as known answers. */
  faq: { keywords: string[]; answer: string }[];
}

export const DEFAULT_AI_SETTINGS: AiSettings = { enabled: true, instructions: '', faq: [] };
