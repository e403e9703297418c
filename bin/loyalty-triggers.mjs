#!/usr/bin/env node
// The `loyalty-triggers` command: runs the TypeScript CLI (local/cli.ts) through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../local/cli.ts');
await runCli(process.argv.slice(2));
