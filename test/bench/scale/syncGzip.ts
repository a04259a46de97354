import { syncBuiltinESMExports } from 'node:module';
import zlib from 'node:zlib';

/*
 * Imported first by a process that runs in virtual time: zlib.gzip (the Logs Ingestion client's, on a zlib thread)
 * becomes synchronous, same bytes, before any module captures it, so no real asynchronous work is ever pending
 * while the virtual-time driver moves the clock (see virtualTime.ts).
 */

function gzip(buffer: zlib.InputType, ...rest: unknown[]): void {
  const callback = rest.pop() as (error: Error | null, result?: Buffer) => void;
  const options = (rest[0] ?? {}) as zlib.ZlibOptions;
  let result: Buffer;
  try {
    result = zlib.gzipSync(buffer, options);
  } catch (error) {
    queueMicrotask(() => callback(error as Error));
    return;
  }
  queueMicrotask(() => callback(null, result));
}

(zlib as { gzip: unknown }).gzip = gzip;
syncBuiltinESMExports();
