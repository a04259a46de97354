#!/usr/bin/env node
// The kv-audit executable: hands the process's arguments, streams and environment to kvAudit.
import { kvAudit } from './kvAudit.js';

// A reader that stops early (`kv-audit demo 2>&1 | head -1`) closes the pipe. What is left to print has nowhere to
// go; that is not the scan's failure, and the exit code stays the scan's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

process.exitCode = await kvAudit(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
