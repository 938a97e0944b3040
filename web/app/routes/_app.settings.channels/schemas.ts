import { z } from 'zod';

export const ChannelSchema = z.object({
  intent: z.literal('save'),
  channelId: z.uuid(),
  name: z.string().trim().min(1, 'Give the channel a name').max(120, 'At most 120 characters'),
  defaultTeamId: z.preprocess((v) => (v === '' ? null : v), z.uuid().nullable()),
});
