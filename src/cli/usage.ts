import { KvAuditError, isKvAuditError } from '../errors.js';

/* Usage problems of `scan` and `demo`: arguments, configuration and inputs, gathered and reported as one. */

/** One usage error for everything wrong with a command's arguments, configuration and inputs: one round, not several. */
export function usageError(command: 'scan' | 'demo' | 'fix', problems: readonly string[]): KvAuditError {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return new KvAuditError('InvalidArguments', `Invalid arguments or configuration for 'kv-audit ${command}' (${count}; see kv-audit ${command} --help):`, {
    details: problems,
  });
}

/** The configuration's problems, for joining with the arguments'; rethrows anything else. */
export function configurationProblems(error: unknown): readonly string[] {
  if (isKvAuditError(error) && error.code === 'InvalidConfiguration') return error.details;
  throw error;
}
