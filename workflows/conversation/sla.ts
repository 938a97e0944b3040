/**
 * The 3-tier SLA escalation (DESIGN §3): tier deadlines as pure maths. The workflow turns each
 * pending tier into a named durable timer (`sla-standard`, `sla-priority`, `sla-manager`) that an
 * answer cancels; tier durations come from the team's policy, so tests run them in seconds.
 */

export type SlaTierLevel = 1 | 2 | 3;

export interface SlaPolicy {
  /** Milliseconds after the waiting period starts: standard, priority, manager. */
  tiersMs: [number, number, number];
  /** At the priority tier, an unanswered conversation goes back from its owner to the team queue. */
  requeueAtPriority: boolean;
}

export const SLA_TIERS: readonly { level: SlaTierLevel; name: string }[] = [
  { level: 1, name: 'sla-standard' },
  { level: 2, name: 'sla-priority' },
  { level: 3, name: 'sla-manager' },
];

export interface DueTier {
  level: SlaTierLevel;
  name: string;
  dueAt: number;
}

/** The first tier above `reachedLevel` in this waiting period, or null when all have fired. */
export function nextTier(policy: SlaPolicy, since: number, reachedLevel: number): DueTier | null {
  const tier = SLA_TIERS.find((t) => t.level > reachedLevel);
  if (!tier) return null;
  return { ...tier, dueAt: since + policy.tiersMs[tier.level - 1]! };
}
