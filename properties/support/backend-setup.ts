// Every test file runs on the backend ATTNFUZZ_BACKEND names (cpu when unset), chosen explicitly:
// tfjs would otherwise pick the highest-priority backend registered so far, which depends on what
// a file happened to import.
import { backendFromEnv, useBackend } from '../../src/backend/index.js';

await useBackend(backendFromEnv());
