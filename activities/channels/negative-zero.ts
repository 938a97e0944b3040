import type { JsonValue } from './types';

/**
 * JSON's `-0` parses to the number -0, but an inbound event travels to its workflow as a JSON
 * signal payload, where -0 is written as `0`: the event the workflow gets would differ from the one
 * the webhook parsed. Parsers read every number that reaches an event through these, so what is
 * stored, compared and signalled is the same value.
 */
export function withoutNegativeZero(n: number): number {
  return Object.is(n, -0) ? 0 : n;
}

/** `value` with every -0 inside it read as 0; for already depth-checked JSON (recursion is bounded). */
export function jsonWithoutNegativeZero(value: JsonValue): JsonValue {
  if (typeof value === 'number') return withoutNegativeZero(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(jsonWithoutNegativeZero);
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, jsonWithoutNegativeZero(child)]));
}
