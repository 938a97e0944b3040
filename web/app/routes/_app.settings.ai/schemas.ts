import { z } from 'zod';
import { checkbox } from '../../utils/forms';

export const AiSettingsSchema = z
  .object({
    intent: z.literal('save'),
    enabled: checkbox,
    instructions: z.string().trim().max(4000, 'At most 4000 characters'),
    'faqKeywords[]': z.array(z.string().trim().max(500)).default([]),
    'faqAnswer[]': z.array(z.string().trim().max(2000, 'An answer is at most 2000 characters')).default([]),
  })
  .transform((v, ctx) => {
    const faq: Array<{ keywords: string[]; answer: string }> = [];
    v['faqKeywords[]'].forEach((raw, i) => {
      const answer = v['faqAnswer[]'][i] ?? '';
      const keywords = raw
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      if (keywords.length === 0 && !answer) return;
      if (keywords.length === 0)
        ctx.addIssue({ code: 'custom', path: [`faq.${i}.keywords`], message: 'Give at least one keyword' });
      if (!answer) ctx.addIssue({ code: 'custom', path: [`faq.${i}.answer`], message: 'Write the answer' });
      faq.push({ keywords, answer });
    });
    return { enabled: v.enabled, instructions: v.instructions, faq };
  });
