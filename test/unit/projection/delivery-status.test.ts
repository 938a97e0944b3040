import {
  advancesFrom,
  nextStatus,
  type OutboundStatus,
  type ReceiptStatus,
} from '../../../activities/projection/delivery-status';

const apply = (start: OutboundStatus, receipts: ReceiptStatus[]) => receipts.reduce(nextStatus, start);

describe('delivery status ordering', () => {
  it.each<[OutboundStatus, ReceiptStatus, OutboundStatus]>([
    ['pending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['delivered', 'read', 'read'],
    // `read` implies delivered: the customer had the chat open, Meta sent no `delivered`.
    ['sent', 'read', 'read'],
    ['pending', 'read', 'read'],
    // Late receipts never move a message backwards.
    ['read', 'delivered', 'read'],
    ['read', 'sent', 'read'],
    ['delivered', 'sent', 'delivered'],
    // Duplicates change nothing.
    ['delivered', 'delivered', 'delivered'],
    ['read', 'read', 'read'],
    // Failed only from pending or sent, and it is final.
    ['sent', 'failed', 'failed'],
    ['pending', 'failed', 'failed'],
    ['delivered', 'failed', 'delivered'],
    ['read', 'failed', 'read'],
    ['failed', 'delivered', 'failed'],
    ['failed', 'read', 'failed'],
    ['failed', 'sent', 'failed'],
  ])('%s + %s -> %s', (current, incoming, expected) => {
    expect(nextStatus(current, incoming)).toBe(expected);
  });

  it('ends at the highest status whatever order the receipts arrive in', () => {
    const receipts: ReceiptStatus[] = ['sent', 'delivered', 'read'];
    const orders = [
      ['sent', 'delivered', 'read'],
      ['read', 'delivered', 'sent'],
      ['delivered', 'read', 'sent'],
      ['read', 'sent', 'delivered', 'read', 'sent'],
    ] as ReceiptStatus[][];
    for (const order of orders) expect(apply('pending', order)).toBe('read');
    expect(apply('pending', receipts.slice(0, 2))).toBe('delivered');
  });

  it('lists exactly the statuses an update may move from (the SQL guard)', () => {
    expect(advancesFrom('sent')).toEqual(['pending']);
    expect(advancesFrom('delivered')).toEqual(['pending', 'sent']);
    expect(advancesFrom('read')).toEqual(['pending', 'sent', 'delivered']);
    expect(advancesFrom('failed')).toEqual(['pending', 'sent']);
    for (const incoming of ['sent', 'delivered', 'read', 'failed'] as const) {
      expect(advancesFrom(incoming)).not.toContain('failed');
      expect(advancesFrom(incoming)).not.toContain(incoming);
    }
  });
});
