/**
 * The demo workspace of DESIGN §6, for local runs only (never in production mode). Idempotent.
 * Sample conversations are not inserted here: scripts/start.ts sends them as signed webhooks so
 * they travel the real path through Temporal.
 */
import type { Knex } from 'knex';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../../test/support/factories';

export const DEMO_PASSWORD = 'demo-password';

export interface DemoSettings {
  whatsappPhoneNumberId: string;
  messengerPageId: string;
  instagramAccountId: string;
}

export const DEMO_USERS = [
  { email: 'owner@demo.test', name: 'Olivia Owner', role: 'owner', team: null },
  { email: 'admin@demo.test', name: 'Adam Admin', role: 'admin', team: null },
  { email: 'support@demo.test', name: 'Sara Support', role: 'agent', team: 'Support' },
  { email: 'sales@demo.test', name: 'Sam Sales', role: 'agent', team: 'Sales' },
  { email: 'ops@demo.test', name: 'Omar Ops', role: 'agent', team: 'Operations' },
] as const;

export async function seedDemo(db: Knex, settings: DemoSettings): Promise<{ whatsappChannelId: string }> {
  const teams: Record<string, string> = {};
  for (const name of ['Support', 'Sales', 'Operations']) teams[name] = await upsertTeam(db, name);
  for (const u of DEMO_USERS) {
    const id = await upsertUser(db, { email: u.email, name: u.name, role: u.role, password: DEMO_PASSWORD });
    if (u.team) await addMember(db, teams[u.team]!, id, true);
  }
  const whatsappChannelId = await upsertChannel(db, {
    kind: 'whatsapp',
    name: 'Demo store WhatsApp',
    externalId: settings.whatsappPhoneNumberId,
    accessToken: 'demo-whatsapp-token',
    defaultTeamId: teams.Support,
  });
  await upsertChannel(db, {
    kind: 'messenger',
    name: 'Demo store Messenger',
    externalId: settings.messengerPageId,
    accessToken: 'demo-messenger-token',
    defaultTeamId: teams.Support,
  });
  await upsertChannel(db, {
    kind: 'instagram',
    name: 'Demo store Instagram',
    externalId: settings.instagramAccountId,
    accessToken: 'demo-instagram-token',
    defaultTeamId: teams.Sales,
  });
  return { whatsappChannelId };
}

/** Customer messages the demo starts with (sent as signed webhooks by scripts/start.ts). */
export const DEMO_CONVERSATIONS = [
  { from: '447700900123', name: 'Priya Shah', id: 'wamid.demo-0001', text: 'Hi! Is my order #8812 shipped yet?' },
  {
    from: '212600000001',
    name: 'Youssef Amrani',
    id: 'wamid.demo-0002',
    text: 'Salam, I want to confirm my COD order for tomorrow.',
  },
  {
    from: '33612345678',
    name: 'Camille Martin',
    id: 'wamid.demo-0003',
    text: 'Can I move my appointment on Thursday to 4pm?',
  },
];
