/**
 * Instagram Messaging adapter (STYLE §5). Webhooks arrive as `object: instagram` with the same
 * `entry[].messaging[]` shape as Messenger, keyed by the Instagram-scoped user id (IGSID); the
 * professional account id (IGID) is our `channelExternalId` (WIRE.md §4.3). Differences from
 * Messenger handled by the shared core: echoes come on `messages` with `is_echo`, read receipts
 * (`messaging_seen`) name a message `mid` instead of a watermark, text is under 1000 characters.
 *
 * Sends go to `POST /<version>/me/messages`: Meta offers two flavours, the Page-linked one (send as
 * `<PAGE_ID>/messages` with a Page token on graph.facebook.com) and Instagram Login (send as
 * `<IG_ID>/messages` with an Instagram token on graph.instagram.com); `me` resolves to the token's
 * sender in both, so the channel's IG account id need not be mapped to a Page id (WIRE.md §4.3-4.4,
 * "or /me/messages"). The Graph host is configuration.
 */
import { createMetaMessagingAdapter, type GraphOptions, type MetaMessagingProfile } from './meta-messaging';
import type { ChannelAdapter } from './types';

/** "Text < 1000 chars" (WIRE.md §4.3). */
export const INSTAGRAM_MAX_TEXT_LENGTH = 999;

export const instagramProfile: MetaMessagingProfile = {
  kind: 'instagram',
  object: 'instagram',
  label: 'Instagram',
  maxTextLength: INSTAGRAM_MAX_TEXT_LENGTH,
  sendNode: () => 'me',
};

export function createInstagramAdapter(opts: GraphOptions): ChannelAdapter {
  return createMetaMessagingAdapter(instagramProfile, opts);
}
