// npm run generate, first step: writes src/benchmarks/registered.ts from the source text alone, so
// that the compile after it, and the other generated files, see the registry as it now stands
// (with a benchmark added or removed, the previous list no longer compiles).
import { writeFileSync } from 'node:fs';
import { REGISTERED, registeredSource } from './benchmark-registry.js';

writeFileSync(REGISTERED, registeredSource('.'));
