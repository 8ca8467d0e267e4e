/**
 * The original CloudTrail record of a base-table item, for `query --full`.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/**
 * Decodes the record an item carries: `record` (JSON text or a map), `recordGz` (gzip of the JSON),
 * or, for a record too large for an item, `recordRef` (where it is in its log file), which is
 * returned as is.
 */
export async function decodeRecord(item: Record<string, unknown>): Promise<unknown> {
  const { record, recordGz, recordRef } = item;
  if (typeof record === 'string') return JSON.parse(record) as unknown;
  if (typeof record === 'object' && record !== null) return record;
  if (recordGz instanceof Uint8Array)
    return JSON.parse((await gunzipAsync(recordGz)).toString('utf8')) as unknown;
  if (recordRef !== undefined) return { recordRef };
  return null;
}
