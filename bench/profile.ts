/**
 * `npm run bench:profile`: where the scanner's CPU time goes on the realistic mix, warm. Runs the
 * mix's worker once under `node --cpu-prof` (bundled unminified, so that functions keep their
 * names) and prints the functions with the most self time. The profile file is left in
 * node_modules/.cache/trail-index-bench/profile/ for a closer look (Chrome DevTools opens it).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ensureFile } from './data';
import { serveFiles } from './scan-bench';
import { runNode } from './stats';
import { mixSpecs } from './workload';

const DIR = join(__dirname, '..', 'node_modules', '.cache', 'trail-index-bench');

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

async function main(): Promise<void> {
  const worker = join(DIR, 'workload-worker-named.js');
  await build({
    entryPoints: [join(__dirname, 'workload-worker.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: worker,
    logLevel: 'warning',
  });
  const files = [];
  for (const spec of mixSpecs()) files.push(await ensureFile(spec));
  const file = process.argv[2];
  const chosen = file === undefined ? files : [await ensureFile({ ...mixSpecs()[0]!, name: file })];
  const profileDir = join(DIR, 'profile');
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const server = await serveFiles();
  try {
    const base = server.urlOf(chosen[0]!).replace(/\/[^/]+$/, '');
    await runNode(worker, ['scanner', base, ...chosen.map((f) => f.path.split('/').pop() ?? '')], {
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
  } finally {
    await server.close();
  }
  const profileFile = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (profileFile === undefined) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(profileDir, profileFile), 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const perSample = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const where = node.callFrame.url === '' ? '(native)' : (node.callFrame.url.split('/').pop() ?? '');
    const name = `${node.callFrame.functionName || '(anonymous)'} ${where}`;
    self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0) * perSample);
  }
  const total = [...self.values()].reduce((sum, ms) => sum + ms, 0);
  process.stdout.write(`scanner over ${chosen.length} files: ${total.toFixed(0)} ms sampled\n`);
  for (const [name, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    process.stdout.write(
      `${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${name}\n`,
    );
  }
  process.stdout.write(`profile: ${join(profileDir, profileFile)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
