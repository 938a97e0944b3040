/**
 * Form parsing shared by actions and components (STYLE §7): one zod schema per form, errors keyed
 * by field name so each shows next to its field, `form` for errors that belong to no field.
 */
import { z } from 'zod';

export type FieldErrors = Partial<Record<string, string>>;

export type FormResult<T = unknown> =
  { ok: true; intent?: string; value?: T; message?: string } | { ok: false; intent?: string; errors: FieldErrors };

/** FormData to a plain object; a name given more than once (checkbox lists) becomes an array. */
export function formObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key).filter((v): v is string => typeof v === 'string');
    out[key] = key.endsWith('[]') ? values : values.length > 1 ? values : values[0];
  }
  return out;
}

export function parseForm<S extends z.ZodType>(
  schema: S,
  input: FormData | Record<string, unknown>,
): { ok: true; value: z.infer<S> } | { ok: false; errors: FieldErrors } {
  const parsed = schema.safeParse(input instanceof FormData ? formObject(input) : input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, errors: issuesToErrors(parsed.error.issues) };
}

export function issuesToErrors(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : 'form';
    errors[key] ??= issue.message;
  }
  return errors;
}

/** An empty form field is "not given". */
export const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A checkbox: present ("on") or absent. */
export const checkbox = z
  .enum(['on', 'true'])
  .optional()
  .transform((v) => v !== undefined);
