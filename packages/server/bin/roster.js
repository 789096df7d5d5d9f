#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `roster` works straight from a fresh install with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
