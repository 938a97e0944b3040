/**
 * The contact's name the inbox list shows is the conversation's own column (migration
 * 20261207100000_conversation_contact_name, issue #6 figure 6), kept by triggers: set when a
 * conversation is written, passed to every conversation of a contact when the contact's name
 * changes, whichever path writes (here the projection's opening and plain inserts).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { createInboxService } from '../../api/services/inbox.service';
import { createProjectionActivities } from '../../activities/projection/projection.activities';
import type { OpenConversationInput } from '../../activities/projection/types';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertChannel, upsertTeam, upsertUser } from '../support/factories';

describe("a conversation's contact name", () => {
  let database: TestDatabase;
  let db: Knex;
  let projection: ReturnType<typeof createProjectionActivities>;
  let inbox: ReturnType<typeof createInboxService>;
  let owner: { id: string; email: string; name: string; role: 'owner' };
  let channelId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    const teamId = await upsertTeam(db, 'Orders');
    channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Orders number',
      externalId: '100000000000654',
      accessToken: 'orders-token',
      defaultTeamId: teamId,
    });
    const ownerId = await upsertUser(db, {
      email: 'owner@names.test',
      name: 'Olive Owner',
      role: 'owner',
      password: 'correct horse battery',
    });
    owner = { id: ownerId, email: 'owner@names.test', name: 'Olive Owner', role: 'owner' };
    projection = createProjectionActivities({ db, sla: { defaultTiersMs: [300_000, 900_000, 1_800_000] } });
    // The list reads no workflow: a client that never connects.
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    inbox = createInboxService({ db, temporal });
  });

  afterAll(async () => {
    await database?.drop();
  });

  const opening = (workflowId: string, contact: OpenConversationInput['contact']): OpenConversationInput => ({
    workflowId,
    channelId,
    contact,
    createdEventId: randomUUID(),
    snapshot: {
      version: 1,
      status: 'queued',
      priority: 'normal',
      escalationLevel: 0,
      teamId: null,
      assigneeId: null,
      tags: [],
      waitingSince: Date.parse('2026-12-07T10:00:00Z'),
      lastInboundAt: Date.parse('2026-12-07T10:00:00Z'),
      lastMessageAt: Date.parse('2026-12-07T10:00:00Z'),
      slaNextTier: null,
      slaNextAt: null,
      snoozedUntil: null,
      intent: null,
    },
  });

  const namesOf = async (contactId: string) =>
    (await db('conversations').where({ contact_id: contactId }).orderBy('workflow_id').select('contact_name')).map(
      (r) => r.contact_name,
    );
  const listed = async (conversationId: string) => {
    const { data } = await inbox.listConversations(owner, { queue: 'all', status: 'any', limit: 100 });
    return data.find((item) => item.id === conversationId)?.contact.name;
  };

  it("takes the contact's display name, and the external key without one", async () => {
    const named = await projection.openConversation(
      opening('conv:names:1', { key: '447700900654', waId: '447700900654', displayName: 'Dana' }),
    );
    const unnamed = await projection.openConversation(opening('conv:names:2', { key: '447700900655' }));
    expect(await namesOf(named.contactId)).toEqual(['Dana']);
    expect(await namesOf(unnamed.contactId)).toEqual(['447700900655']);
    expect(await listed(named.conversationId)).toBe('Dana');
    expect(await listed(unnamed.conversationId)).toBe('447700900655');
  });

  it("passes a contact's new name to all its conversations, whoever wrote them", async () => {
    const first = await projection.openConversation(
      opening('conv:names:3a', { key: '447700900656', displayName: 'Sam' }),
    );
    // An older conversation of the same contact, written outside the projection (a seed, a fix).
    await db('conversations').insert({
      workflow_id: 'conv:names:3-old',
      channel_id: channelId,
      contact_id: first.contactId,
      status: 'resolved',
      version: 1,
    });
    expect(await namesOf(first.contactId)).toEqual(['Sam', 'Sam']);

    // The contact writes again under a new profile name: a new conversation opens.
    const second = await projection.openConversation(
      opening('conv:names:3b', { key: '447700900656', displayName: 'Sam Okafor' }),
    );
    expect(second.contactId).toBe(first.contactId);
    expect(await namesOf(first.contactId)).toEqual(['Sam Okafor', 'Sam Okafor', 'Sam Okafor']);
    expect(await listed(first.conversationId)).toBe('Sam Okafor');

    // An opening without a profile name keeps the one known.
    await projection.openConversation(opening('conv:names:3c', { key: '447700900656' }));
    expect(await namesOf(first.contactId)).toEqual(['Sam Okafor', 'Sam Okafor', 'Sam Okafor', 'Sam Okafor']);
  });

  it('follows a conversation moved to another contact', async () => {
    const from = await projection.openConversation(
      opening('conv:names:4', { key: '447700900657', displayName: 'Ali' }),
    );
    const [to] = await db('contacts')
      .insert({ channel_id: channelId, external_key: '447700900658', display_name: 'Alina' })
      .returning('id');
    await db('conversations').where({ id: from.conversationId }).update({ contact_id: to.id });
    expect(await listed(from.conversationId)).toBe('Alina');
  });
});
