// An A/B test's report (status.experiment): per arm its units, events and
// rate or mean with an interval; the lift, absolute and relative, with
// intervals; the p-value; the sample ratio check; how far toward the design's
// size; and the decision with its reason, as `switchyard plan report` prints.
import { count, percentOf, significant } from '../../format.ts';

interface Arm { units?: number; events?: number; converted?: number; value?: number; interval?: [number, number] }
/** status.experiment as src/analysis/abtest.ts reports it; every field read defensively. */
export interface ExperimentStatus {
  baseline?: Arm; candidate?: Arm;
  absolute?: { value: number; interval: [number, number] }; relative?: { value: number; interval: [number, number] };
  pValue?: number; srm?: { chi2?: number; pValue?: number; sequentialPValue?: number; mismatch?: boolean };
  horizon?: { unitsPerArm?: number; reached?: boolean }; decision?: string; reason?: string;
}

const num = (v: number | undefined) => (v === undefined ? '—' : significant(v, 3));
const interval = (i: [number, number] | undefined, f: (v: number) => string) => (i ? `[${f(i[0])}, ${f(i[1])}]` : '');

export function ExperimentPanel({ value }: { value: unknown }) {
  const e = (typeof value === 'object' && value !== null ? value : {}) as ExperimentStatus;
  const size = e.horizon?.unitsPerArm;
  const least = Math.min(e.baseline?.units ?? 0, e.candidate?.units ?? 0);
  // Conversion tests report the converted units, the rate's numerator (events may include zeros).
  const conversion = e.baseline?.converted !== undefined || e.candidate?.converted !== undefined;
  return (
    <div class="experiment">
      <p>{e.decision ? <strong>Decision: {e.decision}. </strong> : null}{e.reason ?? ''}</p>
      {e.srm?.mismatch && <p class="warn" role="status"><strong>Sample ratio mismatch</strong> (always-valid p {num(e.srm.sequentialPValue ?? e.srm.pValue)}): the assignment is broken and the result cannot be trusted.</p>}
      {size !== undefined && (
        <div class="meter">
          <label for="ab-units">Units toward the design's size (the smaller arm)</label>
          <progress id="ab-units" value={Math.min(least, size)} max={size} />
          <span class="meter-text">{count(least)} of {count(size)}</span>
        </div>
      )}
      <div class="table-wrap">
        <table>
          <caption>Arms: units, events and the primary metric with its interval</caption>
          <thead><tr>{['arm', 'units', 'events', ...(conversion ? ['converted'] : []), 'value', 'interval'].map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
          <tbody>
            {(['baseline', 'candidate'] as const).map((k) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td class="num">{count(e[k]?.units)}</td>
                <td class="num">{count(e[k]?.events)}</td>
                {conversion ? <td class="num">{count(e[k]?.converted)}</td> : null}
                <td class="num">{num(e[k]?.value)}</td>
                <td class="num">{interval(e[k]?.interval, num)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl class="facts">
        <div><dt>Lift (absolute)</dt><dd>{e.absolute ? `${num(e.absolute.value)} ${interval(e.absolute.interval, num)}` : '—'}</dd></div>
        <div><dt>Lift (relative)</dt><dd>{e.relative ? `${percentOf(e.relative.value)} ${interval(e.relative.interval, (v) => percentOf(v))}` : '—'}</dd></div>
        <div><dt>p-value</dt><dd>{e.pValue !== undefined ? e.pValue.toPrecision(3) : '—'}</dd></div>
        <div><dt>Sample ratio (SRM) p</dt><dd>{e.srm?.pValue !== undefined ? e.srm.pValue.toPrecision(3) : '—'}{e.srm?.sequentialPValue !== undefined ? ` (always valid: ${e.srm.sequentialPValue.toPrecision(3)})` : ''}</dd></div>
      </dl>
    </div>
  );
}
