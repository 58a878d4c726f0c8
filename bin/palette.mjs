#!/usr/bin/env node
// The `palette` bin: runs the TypeScript CLI through tsx, so `npx palette …` works from the repo without a build.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/main.ts');
