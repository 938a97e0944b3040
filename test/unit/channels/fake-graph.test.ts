/**
 * The fake Graph API is what integration and e2e tests trust to say "Meta would have refused
 * this": its own rules are checked here, on the wire, with plain fetch.
 */
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph';

const TOKEN = 'EAAG-fake-test';

describe('fake Graph API', () => {
  let graph: FakeGraph;

  beforeAll(async () => {
    graph = await startFakeGraph({ mediaUrlTtlMs: 60_000 });
  });
  afterEach(() => graph.reset());
  afterAll(() => graph.close());

  async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${graph.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  const page = (body: Record<string, unknown>) => post('/v25.0/104882736551920/messages', body);
  const wa = (body: Record<string, unknown>) =>
    post('/v25.0/207845531190876/messages', { messaging_product: 'whatsapp', to: '+447700900123', ...body });
  const codeOf = (json: Record<string, unknown>) => (json.error as { code?: number } | undefined)?.code;

  it.each<[string, Record<string, unknown>]>([
    ['a MESSAGE_TAG without tag', { messaging_type: 'MESSAGE_TAG', message: { text: 'Hi' } }],
    ['a retired tag', { messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE', message: { text: 'Hi' } }],
    ['a tag on a RESPONSE', { messaging_type: 'RESPONSE', tag: 'HUMAN_AGENT', message: { text: 'Hi' } }],
    ['no messaging_type', { message: { text: 'Hi' } }],
    [
      'both text and attachment',
      {
        messaging_type: 'RESPONSE',
        message: { text: 'Hi', attachment: { type: 'image', payload: { url: 'https://x.example/a.jpg' } } },
      },
    ],
    ['a sender action with a message', { sender_action: 'mark_seen', message: { text: 'Hi' } }],
  ])('refuses a Messenger send with %s with code 100', async (_label, body) => {
    const { status, json } = await page({ recipient: { id: '6254419087712345' }, ...body });
    expect(status).toBe(400);
    expect(codeOf(json)).toBe(100);
  });

  it('answers a Messenger sender action with the recipient only', async () => {
    const { status, json } = await page({ recipient: { id: '6254419087712345' }, sender_action: 'typing_on' });
    expect(status).toBe(200);
    expect(json).toEqual({ recipient_id: '6254419087712345' });
  });

  it.each<[string, Record<string, unknown>]>([
    [
      'a list with 11 rows',
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Pick' },
          action: {
            button: 'Options',
            sections: [{ rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: 'Row' })) }],
          },
        },
      },
    ],
    [
      'four buttons',
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Pick' },
          action: { buttons: ['a', 'b', 'c', 'd'].map((t) => ({ type: 'reply', reply: { id: t, title: t } })) },
        },
      },
    ],
    ['an image with both id and link', { type: 'image', image: { id: '1', link: 'https://x.example/a.jpg' } }],
    ['a sticker with a caption', { type: 'sticker', sticker: { id: '1', caption: 'no' } }],
    [
      'a template button index that is a number',
      {
        type: 'template',
        template: {
          name: 'x',
          language: { code: 'en' },
          components: [
            { type: 'button', sub_type: 'quick_reply', index: 0, parameters: [{ type: 'payload', payload: 'P' }] },
          ],
        },
      },
    ],
    ['a reaction without its target', { type: 'reaction', reaction: { emoji: '👍' } }],
  ])('refuses a WhatsApp send with %s', async (_label, body) => {
    const { status } = await wa(body);
    expect(status).toBe(400);
  });

  it('applies queued failures to message sends only, not to read receipts', async () => {
    graph.failNext(1, { httpStatus: 400, code: 130429, message: 'Rate limit hit' });
    const read = await post('/v25.0/207845531190876/messages', {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.A1',
    });
    expect(read).toEqual({ status: 200, json: { success: true } });
    const send = await wa({ type: 'text', text: { body: 'Hi' } });
    expect(codeOf(send.json)).toBe(130429);
  });

  it('serves registered media through the two-step download, token required', async () => {
    graph.addMedia('555', Buffer.from('bytes'), 'image/jpeg');
    const info = (await (
      await fetch(`${graph.url}/v25.0/555`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json()) as {
      url: string;
      mime_type: string;
      file_size: string;
    };
    expect(info).toMatchObject({ mime_type: 'image/jpeg', file_size: '5', id: '555', messaging_product: 'whatsapp' });
    expect((await fetch(info.url)).status).toBe(401);
    const download = await fetch(info.url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('bytes');
  });

  it('answers 404 for a download URL that has expired', async () => {
    const expiring = await startFakeGraph({ mediaUrlTtlMs: -1_000 });
    try {
      expiring.addMedia('556', Buffer.from('bytes'), 'image/jpeg');
      const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
      const info = (await (await fetch(`${expiring.url}/v25.0/556`, auth)).json()) as { url: string };
      expect((await fetch(info.url, auth)).status).toBe(404);
    } finally {
      await expiring.close();
    }
  });

  it('refuses unknown routes with Graph code 100', async () => {
    const res = await fetch(`${graph.url}/v25.0/207845531190876/unknown_edge`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(404);
    expect(codeOf((await res.json()) as Record<string, unknown>)).toBe(100);
  });
});
