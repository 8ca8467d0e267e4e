/**
 * Archived log files: the states an object goes through before it can be read, from its storage
 * class and S3's `Restore` header (HeadObject's `Restore`: `ongoing-request="true"` while restoring,
 * `ongoing-request="false", expiry-date="…"` once restored; S3 User Guide, "Restoring an archived
 * object"). Pure.
 *
 * archived → restore requested → restoring → restored → indexed
 */

/** Storage classes whose objects GetObject refuses until restored. Glacier Instant Retrieval reads directly. */
export const ARCHIVED_STORAGE_CLASSES: readonly string[] = ['GLACIER', 'DEEP_ARCHIVE'];

export type ArchiveState = 'available' | 'archived' | 'restoring' | 'restored';

export function archiveState(storageClass: string | undefined, restore: string | undefined): ArchiveState {
  if (storageClass === undefined || !ARCHIVED_STORAGE_CLASSES.includes(storageClass)) return 'available';
  if (restore === undefined || restore === '') return 'archived';
  if (/ongoing-request="true"/.test(restore)) return 'restoring';
  if (/ongoing-request="false"/.test(restore)) return 'restored';
  return 'archived';
}

/**
 * Retrieval tiers a backfill may ask for. Expedited is never used: it costs the most and is for a
 * few urgent objects, not years of history (S3 User Guide, "Understanding archive retrieval options").
 */
export const RESTORE_TIERS = ['Bulk', 'Standard'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];

/** @default 'Bulk': free for Glacier Flexible Retrieval, the cheapest for Deep Archive. */
export const DEFAULT_RESTORE_TIER: RestoreTier = 'Bulk';
/**
 * Days a restored copy lives before S3 removes it (billed as S3 Standard meanwhile). The backfill
 * reads each restored file in the round after its restore completes (at most an hour later), so
 * a few days leave room for a retried round.
 */
export const DEFAULT_RESTORE_DAYS = 3;

/** How long a round waits for restores before looking again (rounds recheck only what is pending). */
export const RESTORE_POLL_SECONDS = 3600;
/**
 * Rounds before the backfill gives up on what is still restoring: 60 hourly rounds cover Deep
 * Archive's Bulk tier ("within 48 hours") with room to spare.
 */
export const MAX_ROUNDS = 60;
