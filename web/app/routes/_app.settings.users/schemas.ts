import { z } from 'zod';
import { checkbox } from '../../utils/forms';

const role = z.enum(['owner', 'admin', 'agent'], 'Choose a role');
const capacity = z.coerce.number('A whole number').int('A whole number').min(1, 'At least 1').max(500, 'At most 500');

export const CreateUserSchema = z.object({
  intent: z.literal('create-user'),
  name: z.string().trim().min(1, 'Give a name').max(120),
  email: z.email('An email address').trim().max(320),
  role,
  password: z.string().min(10, 'At least 10 characters').max(1024),
  capacity,
});

export const UpdateUserSchema = z.object({
  intent: z.literal('update-user'),
  userId: z.uuid(),
  role,
  capacity,
  availability: z.enum(['online', 'away', 'offline']),
  disabled: checkbox,
});

export const UsersActionSchema = z.discriminatedUnion('intent', [CreateUserSchema, UpdateUserSchema]);
