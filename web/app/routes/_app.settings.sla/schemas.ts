import { z } from 'zod';
import { checkbox } from '../../utils/forms';

/** Minutes in the form (decimals allowed: 0.05 is 3 s, for demos), seconds in the service. */
const minutes = z.coerce
  .number('A number of minutes')
  .positive('More than zero')
  .max(30 * 24 * 60, 'At most 30 days');

export const SlaPolicySchema = z
  .object({
    intent: z.literal('save'),
    teamId: z.uuid(),
    standard: minutes,
    priority: minutes,
    manager: minutes,
    requeueAtPriority: checkbox,
  })
  .transform((v) => ({
    ...v,
    tiers: [Math.round(v.standard * 60), Math.round(v.priority * 60), Math.round(v.manager * 60)] as [
      number,
      number,
      number,
    ],
  }))
  .superRefine((v, ctx) => {
    if (v.tiers.some((s) => s < 1))
      ctx.addIssue({ code: 'custom', path: ['standard'], message: 'At least one second' });
    if (!(v.tiers[0] < v.tiers[1])) {
      ctx.addIssue({ code: 'custom', path: ['priority'], message: 'Must be later than the standard tier' });
    }
    if (!(v.tiers[1] < v.tiers[2])) {
      ctx.addIssue({ code: 'custom', path: ['manager'], message: 'Must be later than the priority tier' });
    }
  });
