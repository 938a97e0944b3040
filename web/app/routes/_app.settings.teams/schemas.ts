import { z } from 'zod';
import { checkbox } from '../../utils/forms';

const name = z.string('Give the team a name').trim().min(1, 'Give the team a name').max(80, 'At most 80 characters');

export const CreateTeamSchema = z.object({ intent: z.literal('create-team'), name });
export const RenameTeamSchema = z.object({ intent: z.literal('rename-team'), teamId: z.uuid(), name });
export const AddMemberSchema = z.object({
  intent: z.literal('set-member'),
  teamId: z.uuid(),
  userId: z.uuid('Pick a person'),
  isLead: checkbox,
});
export const RemoveMemberSchema = z.object({ intent: z.literal('remove-member'), teamId: z.uuid(), userId: z.uuid() });

export const TeamsActionSchema = z.discriminatedUnion('intent', [
  CreateTeamSchema,
  RenameTeamSchema,
  AddMemberSchema,
  RemoveMemberSchema,
]);
