// Status badges: a symbol and a word, with colour as a third cue only, so
// pass/fail reads the same without colour or with a screen reader.

const VERDICTS: Record<string, { symbol: string; text: string }> = {
  pass: { symbol: '✓', text: 'pass' },
  fail: { symbol: '✗', text: 'fail' },
  inconclusive: { symbol: '…', text: 'inconclusive' },
  nodata: { symbol: '○', text: 'no data' },
  skipped: { symbol: '–', text: 'skipped' },
  error: { symbol: '!', text: 'error' },
};

const PHASES: Record<string, { symbol: string; tone: string }> = {
  Pending: { symbol: '…', tone: 'neutral' },
  Progressing: { symbol: '▶', tone: 'info' },
  Paused: { symbol: '⏸', tone: 'warn' },
  Promoted: { symbol: '✓', tone: 'good' },
  Validated: { symbol: '✓', tone: 'good' },
  RolledBack: { symbol: '↩', tone: 'bad' },
  Aborted: { symbol: '■', tone: 'bad' },
};

function Badge({ symbol, text, tone, title }: { symbol: string; text: string; tone: string; title?: string }) {
  return (
    <span class={`badge tone-${tone}`} {...(title ? { title } : {})}>
      <span aria-hidden="true" class="badge-symbol">{symbol}</span> {text}
    </span>
  );
}

export function VerdictBadge({ verdict }: { verdict: string | undefined }) {
  const v = VERDICTS[verdict ?? 'nodata'] ?? { symbol: '?', text: verdict ?? 'unknown' };
  const tone = verdict === 'pass' ? 'good' : verdict === 'fail' || verdict === 'error' ? 'bad' : 'neutral';
  return <Badge symbol={v.symbol} text={v.text} tone={tone} />;
}

export function PhaseBadge({ phase }: { phase: string | undefined }) {
  const p = PHASES[phase ?? 'Pending'] ?? { symbol: '?', tone: 'neutral' };
  return <Badge symbol={p.symbol} text={phase ?? 'Pending'} tone={p.tone} />;
}

/** A condition's status (Ready, Decidable, ...): True, False or Unknown. */
export function ConditionBadge({ status, trueText = 'True', falseText = 'False' }: { status: string | undefined; trueText?: string; falseText?: string }) {
  if (status === 'True') return <Badge symbol="✓" text={trueText} tone="good" />;
  if (status === 'False') return <Badge symbol="✗" text={falseText} tone="bad" />;
  return <Badge symbol="?" text={status ?? 'Unknown'} tone="neutral" />;
}

/** A problem's severity. */
export function SeverityBadge({ severity, text }: { severity: 'error' | 'warning'; text: string }) {
  return <Badge symbol={severity === 'error' ? '✗' : '!'} text={text} tone={severity === 'error' ? 'bad' : 'warn'} />;
}
