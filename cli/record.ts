/**
 * The original CloudTrail record of a base-table item, for `query --full`, read with the indexer's
 * own item mapping.
 */
import { recordFromItem } from '../lambdas/shared/event-item';

/**
 * The record an item carries; for a record too large for an item, where it is in its log file
 * (`{ recordRef: { bucket, key, eventID } }`).
 */
export function decodeRecord(item: Readonly<Record<string, unknown>>): unknown {
  const decoded = recordFromItem(item);
  return decoded.storage === 'pointer' ? { recordRef: decoded.ref } : decoded.record;
}
