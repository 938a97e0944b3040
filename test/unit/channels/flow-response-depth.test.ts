/**
 * Regression (issue #7, found by test/integration/fuzz-webhooks.test.ts): a WhatsApp Flow reply
 * whose `response_json` nests thousands of levels deep parsed into a value JSON.stringify cannot
 * serialise (RangeError), so delivering it as a workflow signal failed with a 500 on every
 * redelivery. Too-deep responses are kept as the raw text Meta sent.
 */
import { createWhatsAppAdapter } from '../../../activities/channels/whatsapp';
import { whatsappMessageWebhook } from '../../support/webhooks';

const adapter = createWhatsAppAdapter({ graphBaseUrl: 'http://127.0.0.1:9', graphVersion: 'v25.0' });

function flowReply(responseJson: string) {
  return whatsappMessageWebhook({
    phoneNumberId: '100000000000001',
    from: '4915112345678',
    timestamp: 1767702000,
    message: {
      id: 'wamid.FLOW',
      type: 'interactive',
      interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } },
    },
  });
}

function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

const responseJsonOf = (body: unknown) => {
  const [event] = adapter.parseWebhook(body);
  return event?.kind === 'message' && event.content.type === 'interactive_reply'
    ? event.content.responseJson
    : undefined;
};

describe('WhatsApp Flow replies', () => {
  it('keeps an ordinary response_json as parsed JSON', () => {
    expect(responseJsonOf(flowReply('{"flow_token":"tok","answers":{"rating":"4","tags":["a","b"]}}'))).toEqual({
      flow_token: 'tok',
      answers: { rating: '4', tags: ['a', 'b'] },
    });
  });

  it('keeps a response_json nested 10,000 levels deep as its raw text, so the event still serialises', () => {
    const raw = nestedArrays(10_000);
    const events = adapter.parseWebhook(flowReply(raw));
    expect(responseJsonOf(flowReply(raw))).toBe(raw);
    expect(() => JSON.stringify(events)).not.toThrow();
  });

  it('draws the line at 32 levels', () => {
    expect(responseJsonOf(flowReply(nestedArrays(32)))).toEqual(JSON.parse(nestedArrays(32)));
    expect(responseJsonOf(flowReply(nestedArrays(33)))).toBe(nestedArrays(33));
  });
});
