/**
 * The unread badge (issue #6, figure 8): every page's layout counts the signed-in user's unread
 * notifications, capped where the badge says "99+", without reading their rows, in the same
 * statement as their availability.
 */
import { randomUUID } from 'node:crypto';
import { createNotificationsService } from '../../api/services/notifications.service';
import type { Actor } from '../../api/services/auth.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertUser } from '../support/factories';

describe('the signed-in user’s status: unread notifications and availability', () => {
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

  const unread = async (user: Actor, opts?: { upTo?: number }) =>
    (await notifications.signedInStatus(user, opts)).unreadCount;

  it('counts only the user’s own unread ones, and stops at the cap', async () => {
    expect(await unread(ann)).toBe(0);
    await notify(ann, 3, false);
    await notify(ann, 40, true);
    await notify(bob, 7, false);
    expect(await unread(ann)).toBe(3);
    expect(await unread(bob)).toBe(7);

    await notify(ann, 150, false);
    expect(await unread(ann)).toBe(100);
    expect(await unread(ann, { upTo: 20 })).toBe(20);
    // The list agrees with the count below the cap.
    expect((await notifications.listNotifications(bob, { unread: true, limit: 100 })).data).toHaveLength(7);
  });

  it('reads the user’s own availability beside the count, and refuses an unknown user', async () => {
    await database.db('users').where({ id: bob.id }).update({ availability: 'away' });
    expect(await notifications.signedInStatus(bob)).toEqual({ availability: 'away', unreadCount: 7 });
    expect((await notifications.signedInStatus(ann)).availability).not.toBe('away');
    await expect(notifications.signedInStatus({ ...ann, id: randomUUID() })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
