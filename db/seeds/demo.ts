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
  await seedDemoTemplates(db, whatsappChannelId);
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
  await seedDemoRouting(db, teams);
  await seedDemoAi(db);
  return { whatsappChannelId };
}

/**
 * Routing rules a small store would start with (docs/routing.md): sales words to Sales, order
 * operations to the least-loaded Operations agent, everything else to the Support queue.
 */
async function seedDemoRouting(db: Knex, teams: Record<string, string>): Promise<void> {
  const rules = [
    {
      position: 10,
      name: 'Sales questions',
      match_kind: 'keyword',
      match_value: 'price, prices, quote, wholesale, discount',
      routing_workflow: 'to-team',
      params: { teamId: teams.Sales },
    },
    {
      position: 20,
      name: 'Pricing intent',
      match_kind: 'intent',
      match_value: 'pricing',
      routing_workflow: 'to-team',
      params: { teamId: teams.Sales },
    },
    {
      position: 30,
      name: 'Orders and deliveries',
      match_kind: 'keyword',
      match_value: 'cod, delivery, courier, order, appointment',
      routing_workflow: 'least-loaded',
      params: { teamId: teams.Operations },
    },
    {
      position: 100,
      name: 'Everything else',
      match_kind: 'always',
      match_value: null,
      routing_workflow: 'to-team',
      params: { teamId: teams.Support },
    },
  ];
  for (const rule of rules) {
    await db('routing_rules')
      .insert({ ...rule, params: JSON.stringify(rule.params) })
      .onConflict('position')
      .ignore();
  }
}

/** The keyless AI fallback answers these; with OPENAI_API_KEY the model sees them as known answers. */
async function seedDemoAi(db: Knex): Promise<void> {
  const value = {
    enabled: true,
    instructions: 'You answer for Demo Store, an online shop with cash-on-delivery across Morocco and Europe.',
    faq: [
      {
        keywords: ['opening hours', 'open', 'hours'],
        answer: 'We answer every day from 9:00 to 21:00. Orders placed after 18:00 ship the next morning.',
      },
      {
        keywords: ['delivery time', 'how long', 'shipping time'],
        answer:
          'Delivery takes 2-3 working days in cities and up to 5 elsewhere. You will get a tracking link by WhatsApp.',
      },
      {
        keywords: ['return', 'exchange'],
        answer:
          'You can return or exchange any item within 14 days. Reply "agent" and a colleague will arrange the pickup.',
      },
    ],
  };
  await db('workspace_settings')
    .insert({ key: 'ai', value: JSON.stringify(value) })
    .onConflict('key')
    .ignore();
}

/**
 * Approved WhatsApp templates as a sync from Meta would store them (activities/channels/templates.ts),
 * so the composer can send one outside the 24-hour window and agents' alerts have their template.
 */
export const DEMO_TEMPLATES = [
  { name: 'order_update', language: 'en', category: 'UTILITY', body: 'Update on your order: {{1}}' },
  {
    name: 'appointment_reminder',
    language: 'en',
    category: 'UTILITY',
    body: 'Reminder: your appointment is on {{1}} at {{2}}. Reply to change it.',
  },
  { name: 'agent_alert', language: 'en', category: 'UTILITY', body: 'Kliovo Inbox: {{1}}. {{2}}' },
] as const;

async function seedDemoTemplates(db: Knex, channelId: string): Promise<void> {
  await db('message_templates')
    .insert(
      DEMO_TEMPLATES.map((t) => ({
        channel_id: channelId,
        name: t.name,
        language: t.language,
        category: t.category,
        status: 'APPROVED',
        components: JSON.stringify([{ type: 'BODY', text: t.body }]),
        parameter_count: new Set(t.body.match(/\{\{\d+\}\}/g)).size,
      })),
    )
    .onConflict(['channel_id', 'name', 'language'])
    .ignore();
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
  {
    from: '4915112345678',
    name: 'Jonas Weber',
    id: 'wamid.demo-0004',
    text: 'What is the wholesale price for 50 units?',
  },
  { from: '34600111222', name: 'Lucía García', id: 'wamid.demo-0005', text: 'What are your opening hours?' },
];
