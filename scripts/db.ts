/** `npm run db:migrate | db:rollback | db:seed | db:reset` against DATABASE_URL (or the local default). */
import { createDb, DEFAULT_DATABASE_URL } from '../db/knexfile';
import { seedDemo } from '../db/seeds/demo';
import { local } from './lib/local-env';

async function main(command: string | undefined): Promise<void> {
  const db = createDb(local.databaseUrl ?? DEFAULT_DATABASE_URL, { min: 0, max: 2 });
  try {
    switch (command) {
      case 'migrate': {
        const [, ran] = (await db.migrate.latest()) as [number, string[]];
        console.log(ran.length ? `ran: ${ran.join(', ')}` : 'already up to date');
        return;
      }
      case 'rollback': {
        const [, undone] = (await db.migrate.rollback()) as [number, string[]];
        console.log(undone.length ? `rolled back: ${undone.join(', ')}` : 'nothing to roll back');
        return;
      }
      case 'seed':
        if (local.production) throw new Error('the demo seed never runs in production mode');
        await seedDemo(db, local.demo);
        console.log('demo workspace seeded');
        return;
      case 'reset':
        if (local.production) throw new Error('db:reset never runs in production mode');
        await db.migrate.rollback(undefined, true);
        await db.migrate.latest();
        await seedDemo(db, local.demo);
        console.log('database reset and seeded');
        return;
      default:
        throw new Error('usage: tsx scripts/db.ts migrate|rollback|seed|reset');
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
