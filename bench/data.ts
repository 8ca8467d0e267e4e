/**
 * The benchmark's log files, generated deterministically into bench/.data/ and reused between runs.
 */
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { logFileText, type GeneratorOptions } from './cloudtrail-generator';

export const DATA_DIR = join(__dirname, '.data');

export interface BenchFile {
  readonly name: string;
  readonly seed: number;
  /** Uncompressed size to aim for. */
  readonly targetBytes: number;
  readonly options: GeneratorOptions;
}

/** Bump when the generator changes, so cached files are regenerated. */
const GENERATOR_VERSION = 2;

export const FILES: readonly BenchFile[] = [
  { name: 'small', seed: 1, targetBytes: 1_000_000, options: { selectedShare: 0.02, largeShare: 0.01 } },
  { name: 'medium', seed: 2, targetBytes: 60_000_000, options: { selectedShare: 0.005, largeShare: 0.01 } },
  // Stands for a maximum-size (50 MB compressed) CloudTrail file.
  { name: 'large', seed: 3, targetBytes: 600_000_000, options: { selectedShare: 0.0005, largeShare: 0.01 } },
];

export interface GeneratedFile extends BenchFile {
  readonly path: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
}

/** The file, generated now unless a file from the same generator version and spec exists. */
export async function ensureFile(file: BenchFile): Promise<GeneratedFile> {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `${file.name}.json.gz`);
  const manifestPath = `${path}.manifest.json`;
  const spec = JSON.stringify({ version: GENERATOR_VERSION, ...file });
  if (existsSync(path) && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      spec: string;
      uncompressedBytes: number;
    };
    if (manifest.spec === spec) {
      return {
        ...file,
        path,
        compressedBytes: statSync(path).size,
        uncompressedBytes: manifest.uncompressedBytes,
      };
    }
  }
  let uncompressedBytes = 0;
  function* bytes() {
    // Batch the generator's small strings into ~1 MB buffers.
    let batch: string[] = [];
    let size = 0;
    for (const piece of logFileText(file.seed, file.targetBytes, file.options)) {
      batch.push(piece);
      size += piece.length;
      if (size > 1_000_000) {
        const buf = Buffer.from(batch.join(''));
        uncompressedBytes += buf.length;
        yield buf;
        batch = [];
        size = 0;
      }
    }
    const buf = Buffer.from(batch.join(''));
    uncompressedBytes += buf.length;
    yield buf;
  }
  const tmp = `${path}.tmp`;
  await pipeline(Readable.from(bytes()), createGzip({ level: 6 }), createWriteStream(tmp));
  renameSync(tmp, path);
  writeFileSync(manifestPath, JSON.stringify({ spec, uncompressedBytes }));
  return { ...file, path, compressedBytes: statSync(path).size, uncompressedBytes };
}
