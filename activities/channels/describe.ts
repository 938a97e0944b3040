/**
 * How a normalised inbound message shows in the thread and the conversation list: a message type,
 * an optional text body, and a one-line preview. Every InboundContent variant must be handled here
 * (the switch is exhaustive: a new variant fails the type check until it is described).
 */
import type { InboundContent, InboundMedia } from './types';

const PREVIEW_LENGTH = 140;

export interface DescribedContent {
  /** `text`, a media kind (`image`, `audio`, `video`, `document`, `sticker`), or the content type. */
  type: string;
  body: string | null;
  preview: string;
}

export function describeContent(content: InboundContent): DescribedContent {
  switch (content.type) {
    case 'text':
      return { type: 'text', body: content.text, preview: previewText(content.text) };
    case 'media':
      return describeMedia(content);
    case 'location': {
      const place = [content.name, content.address].filter((p) => p).join(', ');
      const where = content.name || content.address || `${content.latitude}, ${content.longitude}`;
      return { type: 'location', body: place || null, preview: previewText(`📍 Location: ${where}`) };
    }
    case 'contacts': {
      const names = content.contacts.map((c) => c.name || c.phones[0]?.phone || c.emails[0]?.email || 'Unnamed');
      const more = names.length > 1 ? ` +${names.length - 1} more` : '';
      return {
        type: 'contacts',
        body: names.join(', '),
        preview: previewText(`[contact card] ${names[0] ?? 'Unnamed'}${more}`),
      };
    }
    case 'interactive_reply': {
      const title = content.title || content.id;
      const preview = content.replyKind === 'flow' ? `[form reply] ${title}` : title || `[${content.replyKind}]`;
      return { type: 'interactive_reply', body: title || null, preview: previewText(preview) };
    }
    case 'button':
      return { type: 'button', body: content.text, preview: previewText(content.text || '[button]') };
    case 'reaction':
      return {
        type: 'reaction',
        body: content.emoji,
        preview: content.emoji ? `Reacted ${content.emoji}` : 'Removed a reaction',
      };
    case 'unsupported':
      return { type: 'unsupported', body: null, preview: `[${content.providerType} message]` };
  }
}

/** `[image] caption`, `[voice message]`, `[document] INV-2291.pdf`: the caption is the body. */
function describeMedia(media: InboundMedia): DescribedContent {
  const label = media.voice ? 'voice message' : media.mediaKind;
  const detail = media.caption || media.filename;
  return {
    type: media.mediaKind,
    body: media.caption ?? null,
    preview: previewText(detail ? `[${label}] ${detail}` : `[${label}]`),
  };
}

/** One line, at most PREVIEW_LENGTH characters, for the conversation list. */
export function previewText(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_LENGTH ? `${line.slice(0, PREVIEW_LENGTH - 1)}…` : line;
}
