// A resource's conditions with their messages, as `kubectl describe` lists them.
import { ago } from '../format.ts';
import type { Condition } from '../model/kinds.ts';
import { ConditionBadge } from './Badge.tsx';

export function Conditions({ conditions, now }: { conditions: Condition[] | undefined; now: number }) {
  if (!conditions || conditions.length === 0) return <p class="muted">No conditions reported yet.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Changed</th></tr></thead>
        <tbody>
          {conditions.map((c) => (
            <tr key={c.type}>
              <th scope="row">{c.type}</th>
              <td><ConditionBadge status={c.status} /></td>
              <td>{c.reason ?? ''}</td>
              <td class="message">{c.message ?? ''}</td>
              <td>{ago(c.lastTransitionTime, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
