/**
 * What activities need from the outside world, passed in once by workers/main.ts (or a test).
 * No module-level clients and no process.env below this line (STYLE §4).
 */
import type { Knex } from 'knex';
import type { ChannelAdapter, ChannelKind } from './channels/types';

export type ChannelRegistry = Readonly<Record<ChannelKind, ChannelAdapter | undefined>>;

export interface ActivityDeps {
  db: Knex;
  channels: ChannelRegistry;
}
