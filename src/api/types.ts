// What the API server needs to know about a kind: the single source for
// discovery, validation, defaults, printing and the published OpenAPI.
import type { z } from 'zod';

export interface PrinterColumn {
  name: string;
  /** OpenAPI type of the cell: string | integer | number | boolean | date. */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** Simple JSONPath as in CRD additionalPrinterColumns, e.g. .status.url or .status.components.predictor.traffic[?(@.tag=='prev')].percent */
  jsonPath: string;
  description?: string;
  /** 0 shown by default; >0 only with -o wide. */
  priority?: number;
  format?: string;
  /** Computes the cell when a JSONPath cannot (e.g. Pod READY "1/1"); jsonPath then only documents it. */
  compute?: (obj: Record<string, unknown>, now: Date) => unknown;
}

export interface KindInfo {
  /** '' for the core group. */
  group: string;
  /** Versions served; the first is preferred. All share one schema unless noted. */
  versions: string[];
  kind: string;
  /** Plural, lower case: the URL segment and store collection. */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  categories: string[];
  /** Validates a whole object (apiVersion, kind, metadata, spec, status) and applies defaults. */
  schema: z.ZodType;
  printerColumns: PrinterColumn[];
  /** Has a /status subresource. */
  hasStatus: boolean;
  /** Served read-only (views of local state such as Pods and Events). */
  readOnly: boolean;
  /** One-line description for explain/api-resources. */
  description: string;
}

export interface ValidationCause {
  /** Field path as Kubernetes prints it: spec.predictor.model.modelFormat.name */
  field: string;
  message: string;
  /** metav1.CauseType: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueUnknown (unknown field). */
  reason: string;
}

export type ValidationResult<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; causes: ValidationCause[] };
