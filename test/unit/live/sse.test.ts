import { sseComment, sseEvent, sseRetry } from '../../../api/routes/v1/stream.router';
import { routeLabel } from '../../../api/http/metrics';

/** Parses frames the way EventSource does (enough of the spec for our own output). */
function parseFrames(text: string): Array<{ event?: string; data: string; retry?: number }> {
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const frame: { event?: string; data: string[]; retry?: number } = { data: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const [field, ...rest] = line.split(':');
        const value = rest.join(':').replace(/^ /, '');
        if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data.push(value);
        else if (field === 'retry') frame.retry = Number(value);
      }
      return { ...frame, data: frame.data.join('\n') };
    });
}

describe('the SSE formatter', () => {
  it('writes one named event with its JSON on a data line, ended by a blank line', () => {
    const text = sseEvent('conversation', { type: 'conversation', conversationId: 'c1', version: 3 });
    expect(text).toBe('event: conversation\ndata: {"type":"conversation","conversationId":"c1","version":3}\n\n');
    expect(parseFrames(text)).toEqual([
      { event: 'conversation', data: '{"type":"conversation","conversationId":"c1","version":3}' },
    ]);
  });

  it('keeps text with newlines and non-ASCII inside one data line', () => {
    const data = { title: 'Line one\nline two\r\nthree', body: 'Grüße 📦' };
    const [frame] = parseFrames(sseEvent('notification', data));
    expect(JSON.parse(frame!.data)).toEqual(data);
  });

  it('cannot be split into two events by a hostile event name', () => {
    const text = sseEvent('message\n\nevent: forged', {});
    expect(parseFrames(text)).toHaveLength(1);
  });

  it('writes comments that EventSource ignores and the reconnect delay', () => {
    expect(sseComment('ping')).toBe(': ping\n\n');
    expect(sseComment('a\nb')).toBe(': a b\n\n');
    expect(sseRetry(2000)).toBe('retry: 2000\n\n');
    expect(parseFrames(sseRetry(2000) + sseComment('ping'))).toEqual([{ data: '', retry: 2000 }, { data: '' }]);
  });
});

describe('metrics route labels', () => {
  it('replace ids so a label names a route, not a request', () => {
    expect(routeLabel('/api/v1/conversations/0b0e2c0e-3f5a-4c1e-9d7a-2b8f6a1c9e11/claim', 200)).toBe(
      '/api/v1/conversations/:id/claim',
    );
    expect(routeLabel('/webhooks/whatsapp', 200)).toBe('/webhooks/whatsapp');
    expect(routeLabel('/inbox/all/0b0e2c0e-3f5a-4c1e-9d7a-2b8f6a1c9e11', 200)).toBe('/inbox/*');
    expect(routeLabel('/assets/entry.client-AbC123.js', 200)).toBe('/assets/*');
    expect(routeLabel('/', 200)).toBe('/');
  });

  it('put every 404 under one label', () => {
    expect(routeLabel('/api/v1/random-1234', 404)).toBe('unmatched');
    expect(routeLabel('/wp-login.php', 404)).toBe('unmatched');
  });
});
