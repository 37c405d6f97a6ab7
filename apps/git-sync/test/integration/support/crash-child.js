// Runs one cycle in a separate process and SIGKILLs itself at a chosen step, like a replica dying
// mid-cycle. Sources are transpiled on the fly with swc, as Jest does, so no build is needed.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022', keepClassNames: true },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

async function main() {
  const { options, spaceId, killAt } = JSON.parse(process.argv[2]);
  const { createEngine } = require('../../../src/engine.ts');
  const engine = await createEngine({
    ...options,
    onStep: (step) => {
      if (step === killAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  await engine.sync.runCycle(spaceId);
  await engine.close();
  process.stdout.write('completed\n');
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
