/**
 * Template sync parsing (activities/channels/templates.ts): Meta's `{ data, paging }` pages,
 * placeholders and parameter counts, rendering, and the paged fetch against the fake Graph.
 */
import {
  bodyPlaceholders,
  fetchTemplates,
  parseTemplatePage,
  renderTemplateBody,
  TemplateSyncError,
} from '../../../activities/channels/templates';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph';

const page = {
  data: [
    {
      name: 'order_delivery_update',
      components: [
        { type: 'HEADER', format: 'LOCATION' },
        {
          type: 'BODY',
          text: 'Good news {{1}}! Your order #{{2}} is on its way to the location above.',
          example: { body_text: [['Mark', '566701']] },
        },
        { type: 'FOOTER', text: 'To stop receiving delivery updates, tap the button below.' },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }] },
      ],
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
      id: '546151681022936',
    },
    {
      name: 'welcome_named',
      parameter_format: 'NAMED',
      components: [{ type: 'BODY', text: 'Hi {{first_name}}, welcome to {{shop}}. {{first_name}}, reply any time.' }],
      language: 'en',
      status: 'PENDING',
      category: 'marketing',
      id: '546151681022937',
    },
    { name: 'broken' },
  ],
  paging: {
    cursors: { before: 'QVFIU', after: 'QVFIUm' },
    next: 'https://graph.facebook.com/v25.0/1/message_templates?after=QVFIUm',
  },
};

describe('parseTemplatePage', () => {
  it('reads templates with their status, category and body parameter count, and the next cursor', () => {
    const parsed = parseTemplatePage(page);
    expect(parsed.after).toBe('QVFIUm');
    expect(parsed.templates.map((t) => [t.name, t.language, t.status, t.category, t.parameterCount])).toEqual([
      ['order_delivery_update', 'en_US', 'APPROVED', 'UTILITY', 2],
      ['welcome_named', 'en', 'PENDING', 'MARKETING', 2],
    ]);
    expect(parsed.templates[0]!.components).toHaveLength(4);
  });

  it('stops at the last page (no paging.next) and refuses an answer without data', () => {
    expect(parseTemplatePage({ data: [], paging: { cursors: { before: 'a', after: 'b' } } }).after).toBeNull();
    expect(parseTemplatePage({ data: [] }).after).toBeNull();
    expect(() => parseTemplatePage({ error: { code: 100 } })).toThrow(TemplateSyncError);
  });
});

describe('placeholders and rendering', () => {
  it('counts positional parameters by the highest index and named ones by distinct name', () => {
    expect(bodyPlaceholders([{ type: 'BODY', text: 'A {{1}} B {{3}} C {{2}} {{1}}' }])).toEqual(['1', '2', '3']);
    expect(bodyPlaceholders([{ type: 'BODY', text: 'Hi {{ name }} from {{shop}}, {{name}}' }])).toEqual([
      'name',
      'shop',
    ]);
    expect(bodyPlaceholders([{ type: 'HEADER', text: '{{1}}' }])).toEqual([]);
  });

  it('fills the body in, leaving unknown placeholders as they are', () => {
    const components = [{ type: 'BODY', text: 'Reminder: {{1}} at {{2}}.' }];
    expect(renderTemplateBody(components, ['Friday', '4pm'])).toBe('Reminder: Friday at 4pm.');
    expect(renderTemplateBody([{ type: 'BODY', text: 'Hi {{name}}' }], ['Priya'])).toBe('Hi Priya');
    expect(renderTemplateBody([{ type: 'FOOTER', text: 'x' }], [])).toBeNull();
  });
});

describe('fetchTemplates', () => {
  let graph: FakeGraph;
  beforeAll(async () => {
    graph = await startFakeGraph({ accessTokens: ['waba-token'] });
  });
  afterAll(async () => {
    await graph.close();
  });

  it('walks every page with the documented query and bearer token', async () => {
    graph.addTemplates(
      '7770001',
      Array.from({ length: 130 }, (_, i) => ({ name: `t_${i}`, language: 'en', body: 'Hello {{1}}' })),
    );
    const templates = await fetchTemplates(
      { graphBaseUrl: graph.url, graphVersion: 'v25.0' },
      { wabaId: '7770001', accessToken: 'waba-token' },
    );
    expect(templates).toHaveLength(130);
    expect(new Set(templates.map((t) => t.name)).size).toBe(130);
    const requests = graph.requests.filter((r) => r.operation === 'templates');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: 'GET',
      path: '/v25.0/7770001/message_templates',
      query: { fields: 'name,language,status,category,components', limit: '100' },
    });
    expect(requests[0]!.headers.authorization).toBe('Bearer waba-token');
    expect(requests[1]!.query.after).toEqual(expect.any(String));
  });

  it('turns a Graph refusal into a TemplateSyncError without the token', async () => {
    const attempt = fetchTemplates(
      { graphBaseUrl: graph.url, graphVersion: 'v25.0' },
      { wabaId: 'unknown-waba', accessToken: 'waba-token' },
    );
    await expect(attempt).rejects.toBeInstanceOf(TemplateSyncError);
    await expect(attempt).rejects.toMatchObject({ kind: 'provider', transient: false });
    await expect(attempt).rejects.not.toThrow(/waba-token/);
  });
});
