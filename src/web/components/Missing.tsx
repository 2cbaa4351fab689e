// A view whose object is not there (yet): loading, not found, or the API's error.
import type { ApiError } from '../api.ts';
import { hrefOf } from '../router.ts';
import { ErrorNote } from './Live.tsx';

export function Missing({ kind, namespace, name, loaded, error }: { kind: string; namespace: string; name: string; loaded: boolean; error?: ApiError | undefined }) {
  return (
    <main id="main" tabIndex={-1}>
      <h1>{kind} {namespace}/{name}</h1>
      <ErrorNote error={error} what={`the ${kind}`} />
      <p>{loaded ? <>No {kind} named {name} in namespace {namespace}. <a href={hrefOf({ view: 'overview' })}>Back to the overview</a>.</> : 'Loading…'}</p>
    </main>
  );
}
