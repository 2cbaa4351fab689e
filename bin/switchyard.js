#!/usr/bin/env node
// The package runs its TypeScript sources directly through tsx's loader, so
// there is no build step between a checkout and a working binary.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
