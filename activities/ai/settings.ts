/**
 * The workspace's AI settings, stored as JSON under key 'ai' in `workspace_settings`. Admins edit
 * that row, so it is validated on every read: missing fields take their defaults, and a value that
 * does not validate at all falls back to DEFAULT_AI_SETTINGS rather than failing the conversation.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { DEFAULT_AI_SETTINGS, type AiSettings } from './types';

export const AI_SETTINGS_KEY = 'ai';

const aiSettingsSchema = z.object({
  enabled: z.boolean().default(DEFAULT_AI_SETTINGS.enabled),
  instructions: z.string().default(DEFAULT_AI_SETTINGS.instructions),
  faq: z
    .array(z.object({ keywords: z.array(z.string()), answer: z.string() }))
    .default(() => [...DEFAULT_AI_SETTINGS.faq]),
});

export type ParsedAiSettings = { settings: AiSettings; valid: boolean };

/** Defaults merged under the stored value; `valid: false` when the stored value was unusable. */
export function parseAiSettings(stored: unknown): ParsedAiSettings {
  if (stored === undefined || stored === null) return { settings: defaults(), valid: true };
  const parsed = aiSettingsSchema.safeParse(stored);
  return parsed.success ? { settings: parsed.data, valid: true } : { settings: defaults(), valid: false };
}

export async function loadAiSettings(db: Knex): Promise<ParsedAiSettings> {
  const row = await db('workspace_settings').where({ key: AI_SETTINGS_KEY }).first('value');
  return parseAiSettings(row?.value);
}

function defaults(): AiSettings {
  return { ...DEFAULT_AI_SETTINGS, faq: [...DEFAULT_AI_SETTINGS.faq] };
}
