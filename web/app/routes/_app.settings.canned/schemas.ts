import { z } from 'zod';

const fields = {
  title: z.string().trim().min(1, 'Give it a title').max(120, 'At most 120 characters'),
  body: z.string().trim().min(1, 'Write the text').max(4096, 'At most 4096 characters'),
  teamId: z.preprocess((v) => (v === '' ? null : v), z.uuid().nullable()),
};

export const CreateCannedSchema = z.object({ intent: z.literal('create'), ...fields });
export const UpdateCannedSchema = z.object({ intent: z.literal('update'), id: z.uuid(), ...fields });
export const DeleteCannedSchema = z.object({ intent: z.literal('delete'), id: z.uuid() });
export const CannedActionSchema = z.discriminatedUnion('intent', [
  CreateCannedSchema,
  UpdateCannedSchema,
  DeleteCannedSchema,
]);
