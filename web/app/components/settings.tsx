/** Shared pieces of the settings pages: a row form's result line. */
import type { FormResult } from '../utils/forms';

/**
 * "Saved", or the errors that are not shown next to a field (`shown` lists those that are), next
 * to a row's Save button.
 */
export function RowResult({ result, shown = [] }: { result?: FormResult; shown?: readonly string[] }) {
  if (!result) return null;
  if (result.ok) {
    return result.message ? (
      <span className="form-ok" role="status">
        {result.message}
      </span>
    ) : null;
  }
  const rest = Object.entries(result.errors).filter(([key]) => !shown.includes(key));
  return rest.length > 0 ? (
    <span className="form-error" role="alert">
      {rest.map(([, message]) => message).join(' ')}
    </span>
  ) : null;
}
