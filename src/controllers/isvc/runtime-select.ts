// Runtime selection as KServe does it (pkg/apis/serving/v1beta1/predictor_model.go):
// an explicit `runtime` name is looked up (ServingRuntime in the namespace
// first, then ClusterServingRuntime) and must support the format and protocol;
// otherwise the autoSelect runtimes that support the format (and version) and
// protocol are ranked, namespace-scoped before cluster-scoped, each group by
// priority. Disabled runtimes are never picked.
import type { RuntimeCandidate } from './types.ts';

export interface ModelFormat {
  name: string;
  version?: string;
}

export interface SelectionRequest {
  format: ModelFormat;
  /** Explicit spec.predictor.model.runtime. */
  runtime?: string;
  /** Unset: any protocol for a named runtime (KServe then picks the runtime's), v1 for automatic selection. */
  protocolVersion?: string;
}

/** Reasons are KServe's FailureInfo reasons. */
export type SelectionFailureReason = 'NoSupportingRuntime' | 'RuntimeNotRecognized' | 'RuntimeDisabled';

export type Selection =
  | { ok: true; runtime: RuntimeCandidate }
  | { ok: false; reason: SelectionFailureReason; message: string };

function formatLabel(f: ModelFormat): string {
  return f.version === undefined ? f.name : `${f.name}/${f.version}`;
}

/** KServe's label matching: a format version on the model must equal the runtime's. */
function supportsFormat(rt: RuntimeCandidate, f: ModelFormat, autoSelectOnly: boolean): boolean {
  return (rt.spec.supportedModelFormats ?? []).some((s) =>
    s.name === f.name && (f.version === undefined || s.version === f.version) && (!autoSelectOnly || s.autoSelect === true));
}

/** A runtime that lists no protocolVersions speaks v1 only, as in KServe. */
function supportsProtocol(rt: RuntimeCandidate, protocol: string): boolean {
  const list = rt.spec.protocolVersions ?? [];
  return list.length === 0 ? protocol === 'v1' : (list as string[]).includes(protocol);
}

function priorityFor(rt: RuntimeCandidate, f: ModelFormat): number {
  const hit = (rt.spec.supportedModelFormats ?? []).find((s) => s.name === f.name && s.autoSelect === true && (f.version === undefined || s.version === f.version));
  return hit?.priority ?? 0;
}

function rank(list: RuntimeCandidate[], f: ModelFormat): RuntimeCandidate[] {
  return [...list].sort((a, b) => priorityFor(b, f) - priorityFor(a, f) || a.name.localeCompare(b.name));
}

/** "switchyard-onnx (ClusterServingRuntime: onnx/1)" for every runtime, so the message says what would work. */
export function describeRuntimes(runtimes: RuntimeCandidate[]): string {
  const enabled = runtimes.filter((r) => r.spec.disabled !== true);
  if (enabled.length === 0) return 'no runtimes are installed';
  return enabled
    .map((r) => `${r.name} (${r.kind}: ${(r.spec.supportedModelFormats ?? []).map(formatLabel).join(', ') || 'no formats'}; protocols ${(r.spec.protocolVersions ?? ['v1']).join(', ')})`)
    .join('; ');
}

export function selectRuntime(req: SelectionRequest, runtimes: RuntimeCandidate[]): Selection {
  const fmt = formatLabel(req.format);
  if (req.runtime !== undefined) {
    const rt = runtimes.find((r) => r.kind === 'ServingRuntime' && r.name === req.runtime) ?? runtimes.find((r) => r.kind === 'ClusterServingRuntime' && r.name === req.runtime);
    if (!rt) {
      return { ok: false, reason: 'RuntimeNotRecognized', message: `No ServingRuntimes or ClusterServingRuntimes with the name: ${req.runtime}. Available runtimes: ${describeRuntimes(runtimes)}.` };
    }
    if (rt.spec.disabled === true) {
      return { ok: false, reason: 'RuntimeDisabled', message: `Specified runtime ${rt.name} is disabled; enable it (spec.disabled: false) or choose another runtime.` };
    }
    if (req.protocolVersion !== undefined && !supportsProtocol(rt, req.protocolVersion)) {
      return { ok: false, reason: 'NoSupportingRuntime', message: `Specified runtime ${rt.name} does not support protocol version "${req.protocolVersion}" (it speaks ${(rt.spec.protocolVersions ?? ['v1']).join(', ')}).` };
    }
    if (!supportsFormat(rt, req.format, false)) {
      return { ok: false, reason: 'NoSupportingRuntime', message: `Specified runtime ${rt.name} does not support the model format "${fmt}" (it supports ${(rt.spec.supportedModelFormats ?? []).map(formatLabel).join(', ') || 'none'}).` };
    }
    return { ok: true, runtime: rt };
  }
  const protocol = req.protocolVersion ?? 'v1';
  const fits = (r: RuntimeCandidate) => r.spec.disabled !== true && r.spec.multiModel !== true && supportsFormat(r, req.format, true) && supportsProtocol(r, protocol);
  const ranked = [
    ...rank(runtimes.filter((r) => r.kind === 'ServingRuntime' && fits(r)), req.format),
    ...rank(runtimes.filter((r) => r.kind === 'ClusterServingRuntime' && fits(r)), req.format),
  ];
  const best = ranked[0];
  if (best) return { ok: true, runtime: best };
  return {
    ok: false,
    reason: 'NoSupportingRuntime',
    message: `No ServingRuntime supports the model format "${fmt}" with protocol ${protocol}. Available runtimes: ${describeRuntimes(runtimes)}. Create a ServingRuntime whose supportedModelFormats lists "${req.format.name}" with autoSelect: true, or name one in spec.predictor.model.runtime.`,
  };
}
