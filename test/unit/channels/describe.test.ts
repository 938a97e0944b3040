import { describeContent, previewText, type DescribedContent } from '../../../activities/channels/describe';
import type { InboundContent } from '../../../activities/channels/types';

describe('describeContent', () => {
  it.each<[string, InboundContent, DescribedContent]>([
    ['text', { type: 'text', text: 'Hello\nthere' }, { type: 'text', body: 'Hello\nthere', preview: 'Hello there' }],
    [
      'a captioned image',
      { type: 'media', mediaKind: 'image', mediaId: '1', caption: 'Broken part' },
      { type: 'image', body: 'Broken part', preview: '[image] Broken part' },
    ],
    [
      'a voice note',
      { type: 'media', mediaKind: 'audio', mediaId: '2', voice: true },
      { type: 'audio', body: null, preview: '[voice message]' },
    ],
    [
      'a document by its filename',
      { type: 'media', mediaKind: 'document', mediaId: '3', filename: 'INV-2291.pdf' },
      { type: 'document', body: null, preview: '[document] INV-2291.pdf' },
    ],
    [
      'a sticker from a CDN link',
      { type: 'media', mediaKind: 'sticker', url: 'https://cdn.example/s.png' },
      { type: 'sticker', body: null, preview: '[sticker]' },
    ],
    [
      'a named place',
      {
        type: 'location',
        latitude: 51.50135,
        longitude: -0.14189,
        name: 'Buckingham Palace',
        address: 'London SW1A 1AA',
      },
      { type: 'location', body: 'Buckingham Palace, London SW1A 1AA', preview: '📍 Location: Buckingham Palace' },
    ],
    [
      'a bare pin',
      { type: 'location', latitude: 51.5, longitude: -0.1 },
      { type: 'location', body: null, preview: '📍 Location: 51.5, -0.1' },
    ],
    [
      'two contact cards',
      {
        type: 'contacts',
        contacts: [
          { name: 'Tom Reyes', phones: [{ phone: '+1 415-555-0199' }], emails: [] },
          { name: '', phones: [{ phone: '+44 20 7946 0000' }], emails: [] },
        ],
      },
      { type: 'contacts', body: 'Tom Reyes, +44 20 7946 0000', preview: '[contact card] Tom Reyes +1 more' },
    ],
    [
      'a list reply',
      { type: 'interactive_reply', replyKind: 'list', id: 'ship_express', title: 'Express', description: 'Next day' },
      { type: 'interactive_reply', body: 'Express', preview: 'Express' },
    ],
    [
      'a flow completion',
      { type: 'interactive_reply', replyKind: 'flow', id: 'flow', title: 'Sent', responseJson: { rating: '4' } },
      { type: 'interactive_reply', body: 'Sent', preview: '[form reply] Sent' },
    ],
    [
      'a postback without payload or title',
      { type: 'interactive_reply', replyKind: 'postback', id: '', title: '' },
      { type: 'interactive_reply', body: null, preview: '[postback]' },
    ],
    [
      'a template button',
      { type: 'button', text: 'Confirm', payload: 'CONFIRM_APPT_5521' },
      { type: 'button', body: 'Confirm', preview: 'Confirm' },
    ],
    [
      'a reaction',
      { type: 'reaction', emoji: '👍', targetExternalId: 'wamid.OUT1' },
      { type: 'reaction', body: '👍', preview: 'Reacted 👍' },
    ],
    [
      'a removed reaction',
      { type: 'reaction', emoji: null, targetExternalId: 'wamid.OUT1' },
      { type: 'reaction', body: null, preview: 'Removed a reaction' },
    ],
    [
      'an unsupported message',
      { type: 'unsupported', providerType: 'poll_creation' },
      { type: 'unsupported', body: null, preview: '[poll_creation message]' },
    ],
  ])('describes %s', (_label, content, described) => {
    expect(describeContent(content)).toEqual(described);
  });

  it('cuts a long caption preview to one line of 140 characters', () => {
    const { preview } = describeContent({ type: 'media', mediaKind: 'image', mediaId: '1', caption: 'x'.repeat(300) });
    expect(preview).toHaveLength(140);
    expect(preview.endsWith('…')).toBe(true);
  });

  it('keeps previewText on one line', () => {
    expect(previewText('  a\n\tb  ')).toBe('a b');
  });
});
