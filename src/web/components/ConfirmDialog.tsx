// A modal that asks why before it acts: the reason goes to the audit log with
// the command. The browser's <dialog> keeps focus inside, Escape cancels, and
// focus returns to the button that opened it.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmDialogProps {
  title: string;
  /** What will happen, in a sentence. */
  description: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // Who opened it, read at the first render: by the time a (deferred) effect ran, the browser could
  // already have moved focus to the autofocused reason field, and focus went back to nothing.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);

  useLayoutEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      opener?.focus();
    };
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (reason.trim() === '') {
      setError('Give a reason: it is recorded in the audit log with the command.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm(reason.trim());
      props.onClose();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-description" onCancel={(e) => { e.preventDefault(); props.onClose(); }}>
      <form onSubmit={submit} noValidate>
        <h2 id="confirm-title">{props.title}</h2>
        <p id="confirm-description">{props.description}</p>
        <label for="confirm-reason">Reason (required, recorded in the audit log)</label>
        <textarea id="confirm-reason" rows={3} autoFocus value={reason} required aria-invalid={error ? 'true' : 'false'} aria-describedby={error ? 'confirm-error' : undefined}
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        {error && <p id="confirm-error" class="error" role="alert">{error}</p>}
        <div class="buttons">
          <button type="button" onClick={props.onClose}>Cancel</button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>{busy ? 'Sending…' : props.confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}
