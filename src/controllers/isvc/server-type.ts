// Server-specific defaults, as KServe applies them after picking a runtime
// (SetRuntimeDefaults, keyed by the runtime's `serving.kserve.io/server-type`
// annotation): MLServer gets protocol v2 and the model settings it reads from
// its environment; a custom KServe-SDK predictor gets KServe's model-server
// arguments. Pure: the template builder calls it.
import type { ModelFormat } from './runtime-select.ts';

export const SERVER_TYPE_ANNOTATION = 'serving.kserve.io/server-type';
export const SERVER_TYPE_MLSERVER = 'mlserver';
/** Switchyard's runtime for kserve.Model subclasses started by kserve.ModelServer. */
export const SERVER_TYPE_CUSTOM = 'kserve-custom';

/** KServe's constants.MLServerModelClass*: the MLServer runtime class per model format. */
const MLSERVER_MODEL_CLASS: Record<string, string> = {
  sklearn: 'mlserver_sklearn.SKLearnModel',
  xgboost: 'mlserver_xgboost.XGBoostModel',
  lightgbm: 'mlserver_lightgbm.LightGBMModel',
  mlflow: 'mlserver_mlflow.MLflowRuntime',
};

export interface ServerDefaults {
  /** Protocol when the model names none. */
  protocolVersion?: string;
  /** Env entries added unless the model or runtime already sets them. */
  env: Record<string, string>;
  /** Labels the runtime template may read as {{.Labels.NAME}}. */
  labels: Record<string, string>;
  /** Arguments appended unless already given (flag, value). */
  args: [string, string][];
}

export function serverDefaults(serverType: string | undefined, format: ModelFormat, name: string, hasStorage: boolean): ServerDefaults {
  if (serverType === SERVER_TYPE_MLSERVER) {
    return {
      protocolVersion: 'v2',
      // The model settings MLServer builds its one model from (MLSERVER_MODEL_*), written from the InferenceService.
      env: hasStorage ? { MLSERVER_MODEL_NAME: name, MLSERVER_MODEL_URI: '{{.ModelDir}}' } : { MLSERVER_LOAD_MODELS_AT_STARTUP: 'false' },
      labels: { modelClass: MLSERVER_MODEL_CLASS[format.name] ?? MLSERVER_MODEL_CLASS.sklearn! },
      args: [],
    };
  }
  if (serverType === SERVER_TYPE_CUSTOM) {
    // kserve.ModelServer reads these from argv; gRPC off, or every replica would want port 8081.
    return { env: {}, labels: {}, args: [['--model_name', name], ['--http_port', '{{.Port}}'], ['--enable_grpc', 'false']] };
  }
  return { env: {}, labels: {}, args: [] };
}

/** Appends `flag value` for each default whose flag the arguments do not already carry (as `--f v` or `--f=v`). */
export function withDefaultArgs(args: string[], defaults: [string, string][]): string[] {
  const out = [...args];
  for (const [flag, value] of defaults) {
    if (!out.some((a) => a === flag || a.startsWith(`${flag}=`))) out.push(flag, value);
  }
  return out;
}

/** KServe's runtime selection picks the lowest protocol a runtime speaks when the model names none. */
export function lowestProtocol(protocols: readonly string[] | undefined): string {
  const order = ['v1', 'v2', 'grpc-v1', 'grpc-v2'];
  const known = (protocols ?? []).filter((p) => order.includes(p)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return known[0] ?? 'v1';
}
