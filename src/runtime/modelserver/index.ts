// Public surface of the built-in ONNX model server.
export { startModelServer, DEFAULT_BATCHING, type ModelServer, type ModelServerOptions } from './server.ts';
export { registerModelServerCommand, modelServerCommand } from './command.ts';
export type { BatchingOptions } from './batcher.ts';
