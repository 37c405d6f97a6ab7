#!/usr/bin/env node
// Runs the whole suite (README's `npm test`) while two busy-loop workers keep
// both cores saturated, the way a loaded CI machine would. The workers are
// bounded in time on their own and are stopped when the suite ends, however
// it ends.
import { spawn } from 'node:child_process';

const WORKERS = 2;
// A worker outlives no suite: it exits by itself after this long even if this
// script is killed before it can stop it.
const WORKER_MAX_MS = 45 * 60_000;

const burn = `const end = Date.now() + ${WORKER_MAX_MS}; while (Date.now() < end) { for (let i = 0; i < 1e6; i++); }`;
const workers = Array.from({ length: WORKERS }, () => spawn(process.execPath, ['-e', burn], { stdio: 'ignore' }));
const stopWorkers = () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
};
process.once('exit', stopWorkers);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopWorkers();
    process.exit(130);
  });
}

process.stdout.write(
  `[test:load] ${WORKERS} busy-loop workers started (pids ${workers.map((w) => w.pid).join(', ')})\n`,
);
const startedAt = Date.now();
const suite = spawn('npm', ['test', ...process.argv.slice(2)], { stdio: 'inherit' });
suite.once('exit', (code, signal) => {
  stopWorkers();
  process.stdout.write(
    `[test:load] suite finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s under load; workers stopped\n`,
  );
  process.exit(code ?? (signal ? 1 : 0));
});
