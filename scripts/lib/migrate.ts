import { createDb } from '../../db/knexfile';

/** Runs every pending migration; returns the names it ran. */
export async function migrateLatest(databaseUrl: string): Promise<string[]> {
  const db = createDb(databaseUrl, { min: 0, max: 2 });
  try {
    const [, ran] = (await db.migrate.latest()) as [number, string[]];
    return ran;
  } finally {
    await db.destroy();
  }
}
