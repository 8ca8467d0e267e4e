/**
 * The SHA-256 of a log file's decompressed bytes, as a CloudTrail digest lists it, read with the
 * scanner's own gzip framing: exactly one member, its CRC-32 and size checked, and anything after
 * it (another member, zero bytes, garbage) a reason for the file to be invalid, as the 2026 aws-cli
 * fix of `validate-logs` has it. Streams, so memory does not grow with the file.
 */
import { createHash } from 'node:crypto';
import { LogFileError, type ScanStats } from './log-file-error';
import { ByteSource, inflateMember } from './log-file-framing';

export type LogFileHash =
  | { readonly ok: true; readonly sha256: string; readonly decompressedBytes: number }
  | { readonly ok: false; readonly reason: LogFileError['reason']; readonly message: string };

/** Hashes the body; a broken gzip file is a result, not an error; a body error is thrown as it is. */
export async function hashLogFile(body: AsyncIterable<Uint8Array>): Promise<LogFileHash> {
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  const input = new ByteSource(body, stats);
  const hash = createHash('sha256');
  try {
    const head = await input.peek(2);
    if (head[0] !== 0x1f || head[1] !== 0x8b) {
      return { ok: false, reason: 'not-a-log-file', message: 'not a gzip file' };
    }
    for await (const chunk of inflateMember(input, stats)) hash.update(chunk);
    return { ok: true, sha256: hash.digest('hex'), decompressedBytes: stats.decompressedBytes };
  } catch (err) {
    if (err instanceof LogFileError) return { ok: false, reason: err.reason, message: err.message };
    throw err;
  } finally {
    await input.close();
  }
}
