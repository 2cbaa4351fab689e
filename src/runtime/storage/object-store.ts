// What the storage initializer needs from a bucket, whichever service holds
// it: list the objects under a prefix, and stream one object. Implemented for
// S3 (s3.ts) and GCS (gcs.ts); bucket.ts turns a listing into a cached model.

export interface ObjectInfo {
  key: string;
  size: number;
  /** ETag or generation: changes when the object's bytes do. */
  version: string;
}

export interface ObjectStore {
  /** `s3://` or `gs://`, for messages. */
  readonly scheme: string;
  /** Every object whose key starts with `prefix`, in key order. */
  list(bucket: string, prefix: string, signal: AbortSignal): Promise<ObjectInfo[]>;
  /** The object's bytes. */
  get(bucket: string, key: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

/** Why a request to the store failed, for the initializer's error codes. */
export type StoreFailure = 'access' | 'not-found' | 'other';

export class ObjectStoreError extends Error {
  constructor(readonly failure: StoreFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }
}
