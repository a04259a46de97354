#!/usr/bin/env node
// The kv-audit executable: hands the process's arguments, streams and environment to kvAudit.
import { kvAudit } from './kvAudit.js';

process.exitCode = await kvAudit(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
