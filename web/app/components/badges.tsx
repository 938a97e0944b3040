/** Small labelled badges of the inbox: channel, SLA aging, delivery ticks, tags, status. */
import { CHANNEL_LABELS, countdown, LEVEL_LABELS, spokenDuration, STATUS_LABELS, TIER_LABELS } from '../utils/format';
import { useNow } from './now';

export function ChannelBadge({ kind }: { kind: string }) {
  return <span className={`channel-badge ${kind}`}>{CHANNEL_LABELS[kind] ?? kind}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status-badge status-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

/** Under two minutes to the next tier the badge turns amber (DESIGN §5 aging badges). */
const AMBER_MS = 2 * 60_000;

/**
 * Counts down to the next SLA tier: green, amber under 2 minutes, red once a tier was breached or
 * the deadline passed. Nothing when the SLA clock is stopped and nothing escalated.
 */
export function SlaBadge({
  sla,
  escalationLevel,
}: {
  sla: { nextTier: string; dueAt: string } | null;
  escalationLevel: number;
}) {
  const now = useNow();
  if (!sla && escalationLevel === 0) return null;
  const level = LEVEL_LABELS[escalationLevel] ?? String(escalationLevel);
  if (!sla) {
    return (
      <span className="sla-badge sla-red" title="Escalated">
        Escalated · {level}
      </span>
    );
  }
  const left = Date.parse(sla.dueAt) - now;
  const tier = TIER_LABELS[sla.nextTier] ?? sla.nextTier;
  const overdue = left <= 0;
  const tone = overdue || escalationLevel > 0 ? 'sla-red' : left < AMBER_MS ? 'sla-amber' : 'sla-green';
  const spoken = overdue
    ? `SLA ${tier.toLowerCase()} tier overdue by ${spokenDuration(left)}`
    : `SLA ${tier.toLowerCase()} tier in ${spokenDuration(left)}${escalationLevel > 0 ? `, already escalated (${level.toLowerCase()})` : ''}`;
  return (
    <span className={`sla-badge ${tone}`} role="img" aria-label={spoken} title={spoken}>
      <span aria-hidden="true">
        {overdue ? '−' : ''}
        {countdown(left)}
        {escalationLevel > 0 ? ` · L${escalationLevel}` : ''}
      </span>
    </span>
  );
}

/** Delivery state of an outbound message: ✓ sent, ✓✓ delivered, blue ✓✓ read, or failed. */
export function DeliveryTicks({ status }: { status: string }) {
  switch (status) {
    case 'pending':
      return <span className="ticks ticks-pending">Sending…</span>;
    case 'sent':
      return (
        <span className="ticks" role="img" aria-label="Sent">
          ✓
        </span>
      );
    case 'delivered':
      return (
        <span className="ticks" role="img" aria-label="Delivered">
          ✓✓
        </span>
      );
    case 'read':
      return (
        <span className="ticks ticks-read" role="img" aria-label="Read">
          ✓✓
        </span>
      );
    case 'failed':
      return <span className="ticks ticks-failed">Failed</span>;
    default:
      return null;
  }
}

export function TagList({ tags, label = 'Tags' }: { tags: string[]; label?: string }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label={label}>
      {tags.map((t) => (
        <li key={t} className="tag">
          {t}
        </li>
      ))}
    </ul>
  );
}
