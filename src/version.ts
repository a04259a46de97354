/** kv-audit-monitor's version, written on every scan row; a test keeps it equal to package.json. */
export const version = '0.1.0';
