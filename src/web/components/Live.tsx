// Whether a view is following the server live, in words (and a dot).
import type { ApiError } from '../api.ts';
import type { LinkState } from '../watch.ts';

export function Live({ state, error }: { state: LinkState; error?: ApiError | undefined }) {
  const text = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : `Reconnecting${error ? `: ${error.message}` : '…'}`;
  return (
    <span class={`live live-${state}`} role="status">
      <span aria-hidden="true" class="live-dot">●</span> {text}
    </span>
  );
}

/** An error from the API, said plainly where the data would be. */
export function ErrorNote({ error, what }: { error: ApiError | undefined; what: string }) {
  if (!error) return null;
  return <p class="error" role="alert">Could not load {what}: {error.message}{error.code ? ` (${error.code})` : ''}</p>;
}
