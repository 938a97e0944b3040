/** Building blocks: field errors, modal dialogs (native <dialog>), and the toast live region. */
import { Link } from '@remix-run/react';
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, type ReactNode } from 'react';
import type { FieldErrors } from '../utils/forms';

/** An error shown next to its field; the field points at it with aria-describedby. */
export function FieldError({ id, error }: { id: string; error?: string }) {
  if (!error) return null;
  return (
    <p id={id} className="field-error" role="alert">
      {error}
    </p>
  );
}

/** The form-level error (one that names no field), if any. */
export function FormError({ errors }: { errors?: FieldErrors }) {
  return errors?.form ? (
    <p className="form-error" role="alert">
      {errors.form}
    </p>
  ) : null;
}

/** Attributes that tie an input to its error message. */
export function describedBy(id: string, error?: string) {
  return error ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};
}

export interface ModalHandle {
  open(): void;
  close(): void;
}

/**
 * A modal dialog on the native <dialog>: focus moves in and is trapped, Escape closes it, and
 * focus returns to the opener. On phones it slides up as a bottom sheet (CSS).
 */
export const Modal = forwardRef<ModalHandle, { title: string; id: string; children: ReactNode; onClose?: () => void }>(
  function Modal({ title, id, children, onClose }, ref) {
    const dialog = useRef<HTMLDialogElement>(null);
    useImperativeHandle(ref, () => ({
      open: () => {
        if (!dialog.current?.open) dialog.current?.showModal();
      },
      close: () => dialog.current?.close(),
    }));
    return (
      <dialog
        ref={dialog}
        className="modal"
        aria-labelledby={`${id}-title`}
        onClose={onClose}
        onClick={(e) => {
          // A click on the backdrop (the dialog element itself, outside its content) closes it.
          if (e.target === dialog.current) dialog.current?.close();
        }}
      >
        <div className="modal-body">
          <header className="modal-header">
            <h2 id={`${id}-title`}>{title}</h2>
            <button type="button" className="icon-button" aria-label="Close" onClick={() => dialog.current?.close()}>
              ×
            </button>
          </header>
          {children}
        </div>
      </dialog>
    );
  },
);

export interface Toast {
  id: string;
  kind: string;
  title: string;
  body: string;
  href: string | null;
}

/** Live alerts: a polite live region that is always in the page, so screen readers hear additions. */
export function Toasts({ toasts, dismiss }: { toasts: Toast[]; dismiss: (id: string) => void }) {
  return (
    <section className="toasts" aria-label="Live alerts">
      <ol aria-live="polite" aria-relevant="additions">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} dismiss={dismiss} />
        ))}
      </ol>
    </section>
  );
}

const TOAST_MS = 10_000;

function ToastItem({ toast, dismiss }: { toast: Toast; dismiss: (id: string) => void }) {
  const close = useCallback(() => dismiss(toast.id), [dismiss, toast.id]);
  useEffect(() => {
    const timer = setTimeout(close, TOAST_MS);
    return () => clearTimeout(timer);
  }, [close]);
  return (
    <li className={`toast toast-${toast.kind}`}>
      <div>
        <p className="toast-title">{toast.title}</p>
        {toast.body ? <p className="toast-body">{toast.body}</p> : null}
        {toast.href ? (
          <Link to={toast.href} onClick={close}>
            Open conversation
          </Link>
        ) : null}
      </div>
      <button type="button" className="icon-button" aria-label={`Dismiss: ${toast.title}`} onClick={close}>
        ×
      </button>
    </li>
  );
}
