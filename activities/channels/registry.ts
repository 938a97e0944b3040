/** Channel kind -> adapter, built once per process with the Graph base URL from config (STYLE §5). */
import type { ChannelRegistry } from '../deps';
import { createInstagramAdapter } from './instagram';
import { createMessengerAdapter } from './messenger';
import { createWhatsAppAdapter } from './whatsapp';

export interface ChannelRegistryOptions {
  graphBaseUrl: string;
  graphVersion: string;
  fetch?: typeof fetch;
}

export function createChannelRegistry(opts: ChannelRegistryOptions): ChannelRegistry {
  return {
    whatsapp: createWhatsAppAdapter(opts),
    messenger: createMessengerAdapter(opts),
    instagram: createInstagramAdapter(opts),
  };
}
