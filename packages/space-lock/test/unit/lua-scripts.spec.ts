import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LUA_SOURCES } from '../../src/scripts/lua.generated';

const SCRIPTS_DIR = join(__dirname, '../../src/scripts');

describe('the Lua embedded in the build', () => {
  it('is exactly the .lua files, every one of them (run `npm run build` after editing one)', () => {
    const onDisk = Object.fromEntries(
      readdirSync(SCRIPTS_DIR)
        .filter((f) => f.endsWith('.lua'))
        .map((f) => [f.slice(0, -'.lua'.length), readFileSync(join(SCRIPTS_DIR, f), 'utf8')]),
    );
    expect(LUA_SOURCES).toEqual(onDisk);
  });

  it.each(Object.entries(LUA_SOURCES))(
    '%s is named for its key count and opens with a header listing KEYS, ARGV and the replies',
    (name, source) => {
      const keys = Number(/-(\d+)$/.exec(name)?.[1]);
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? '';
      for (let i = 1; i <= keys; i++) expect(header).toContain(`KEYS[${i}]`);
      expect(header).not.toContain(`KEYS[${keys + 1}]`);
      expect(header).toMatch(/ARGV\[1\]/);
      expect(header).toMatch(/Returns/);
    },
  );
});
