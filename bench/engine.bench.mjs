// The git-sync cycle at scale: a 2,000-page space nested 4 deep on embedded PGlite.
// Prints the first cycle, a cycle with nothing changed and a cycle with one changed page, and how
// the last two compare to the first. Run `npm run build` first; this imports the compiled engine.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { createEngine } = require('../apps/git-sync/dist/engine.js');

const PAGES = Number(process.env.BENCH_PAGES ?? 2000);
const DEPTH = 4;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(fn) {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

async function main() {
  const tmp = await mkdtemp(join(tmpdir(), 'git-sync-bench-'));
  const engine = await createEngine({ dataDir: join(tmp, 'data') });
  try {
    const space = await engine.pages.createSpace({ name: 'Bench', gitSyncEnabled: true });

    // Fan-out so that PAGES pages fill DEPTH levels: ~7 per node gives 7 + 49 + 343 + 1601.
    const ids = [];
    const levels = [[null]];
    let created = 0;
    for (let depth = 0; depth < DEPTH && created < PAGES; depth++) {
      const next = [];
      const perParent = depth === DEPTH - 1 ? Math.ceil((PAGES - created) / levels[depth].length) : 7;
      for (const parent of levels[depth]) {
        for (let i = 0; i < perParent && created < PAGES; i++) {
          const page = await engine.pages.createPage(
            space.id,
            {
              title: `Page ${depth}.${i} ${created}`,
              parentPageId: parent,
              content: `# Page ${created}\n\n${'lorem ipsum '.repeat(40)}\n`,
            },
            'user',
          );
          ids.push(page.id);
          next.push(page.id);
          created++;
        }
      }
      levels.push(next);
    }

    const first = await timed(() => engine.sync.runCycle(space.id));
    if (first.result.pull.written !== PAGES) throw new Error(`first cycle wrote ${first.result.pull.written} files`);

    const noChange = [];
    for (let i = 0; i < REPEAT; i++) {
      const r = await timed(() => engine.sync.runCycle(space.id));
      if (r.result.commits !== 0) throw new Error('a no-change cycle made a commit');
      noChange.push(r.ms);
    }

    const oneChange = [];
    for (let i = 0; i < REPEAT; i++) {
      await engine.pages.updateContent(space.id, ids[(i * 997) % ids.length], `changed ${i}\n`, 'user');
      const r = await timed(() => engine.sync.runCycle(space.id));
      if (r.result.pull.written !== 1) throw new Error(`a one-change cycle wrote ${r.result.pull.written} files`);
      oneChange.push(r.ms);
    }

    const rows = [
      ['first cycle', first.ms, 1],
      [`no-change cycle (median of ${REPEAT})`, median(noChange), median(noChange) / first.ms],
      [`one-change cycle (median of ${REPEAT})`, median(oneChange), median(oneChange) / first.ms],
    ];
    console.log(`git-sync cycle, ${PAGES} pages nested ${DEPTH} deep, PGlite`);
    for (const [name, ms, ratio] of rows) {
      console.log(`${name.padEnd(34)} ${ms.toFixed(1).padStart(9)} ms   ratio to first ${ratio.toFixed(3)}`);
    }
  } finally {
    await engine.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
