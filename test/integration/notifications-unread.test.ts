/**
 * The unread badge (issue #6, figure 8): every page's layout counts the signed-in user's unread
 * notifications, capped where the badge says "99+", without reading their rows.
 */
import { randomUUID } from 'node:crypto';
import { createNotificationsService } from '../../api/services/notifications.service';
import type { Actor } from '../../api/services/auth.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertUser } from '../support/factories';

describe('counting unread notifications', () => {
  let database: TestDatabase;
  let notifications: ReturnType<typeof createNotificationsService>;
  let ann: Actor;
  let bob: Actor;

  const notify = (user: Actor, n: number, read: boolean) =>
    database.db('notifications').insert(
      Array.from({ length: n }, (_, i) => ({
        batch_id: randomUUID(),
        user_id: user.id,
        kind: 'handover',
        title: `Handover ${i}`,
        body: 'A customer is waiting',
        read_at: read ? new Date() : null,
      })),
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    notifications = createNotificationsService({ db: database.db });
    const user = async (email: string, name: string): Promise<Actor> => ({
      id: await upsertUser(database.db, { email, name, role: 'agent', password: 'correct horse battery' }),
      email,
      name,
      role: 'agent',
    });
    ann = await user('ann@unread.test', 'Ann Agent');
    bob = await user('bob@unread.test', 'Bob Agent');
  });

  afterAll(() => database.drop());

  it('counts only the user’s own unread ones, and stops at the cap', async () => {
    expect(await notifications.countUnread(ann)).toBe(0);
    await notify(ann, 3, false);
    await notify(ann, 40, true);
    await notify(bob, 7, false);
    expect(await notifications.countUnread(ann)).toBe(3);
    expect(await notifications.countUnread(bob)).toBe(7);

    await notify(ann, 150, false);
    expect(await notifications.countUnread(ann)).toBe(100);
    expect(await notifications.countUnread(ann, { upTo: 20 })).toBe(20);
    // The list agrees with the count below the cap.
    expect((await notifications.listNotifications(bob, { unread: true, limit: 100 })).data).toHaveLength(7);
  });
});
