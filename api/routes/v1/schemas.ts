/** zod schemas shared by the /api/v1 routers: ids in paths and keyset paging. */
import { z } from 'zod';

/** Ids in paths are UUIDs: anything else is a 400 before any lookup. */
export const idParams = z.object({ id: z.uuid('not a valid id') });

export const pageQuery = z.object({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
