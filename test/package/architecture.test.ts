import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * `ls src` shows the architecture, stacked one way: integrations → index.ts → decorator →
 * manager → stores → job → common. A file imports only from its own layer or below; an
 * integration (http, mcp, redis, nestjs, cli, testing) imports the core's public entry and other
 * integrations' entries only.
 */
const src = join(__dirname, '..', '..', 'src');
const CORE = ['common', 'job', 'stores', 'manager', 'decorator', 'index'];
const INTEGRATIONS = ['http', 'mcp', 'redis', 'postgres', 'nestjs', 'cli', 'testing'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a path under src: its top folder, or `index` for src/index.ts. */
const layerOf = (path: string): string => {
  const top = relative(src, path).split('/')[0]!;
  return top.endsWith('.ts') ? top.replace(/\.ts$/, '') : top;
};

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return Array.from(text.matchAll(/(?:from|import|require\()\s*'(\.[^']*)'/g), (m) => normalize(join(dirname(file), m[1]!)));
}

test('every folder of src is a known layer', () => {
  expect(readdirSync(src).sort()).toEqual([...CORE.filter((l) => l !== 'index'), ...INTEGRATIONS, 'index.ts'].sort());
});

test('core imports run one way: integrations → index → decorator → manager → stores → job → common', () => {
  const wrong: string[] = [];
  for (const file of files(src)) {
    const from = layerOf(file);
    if (!CORE.includes(from)) continue;
    for (const target of imports(file)) {
      const to = layerOf(target);
      if (!CORE.includes(to) || CORE.indexOf(to) > CORE.indexOf(from))
        wrong.push(`${relative(src, file)} imports ${relative(src, target)}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('integrations import the core and each other through their public entries only', () => {
  const wrong: string[] = [];
  for (const file of files(src)) {
    const from = layerOf(file);
    if (!INTEGRATIONS.includes(from)) continue;
    for (const target of imports(file)) {
      const to = layerOf(target);
      if (to === from) continue;
      const entry =
        relative(src, target) === 'index' ||
        (INTEGRATIONS.includes(to) && (relative(src, target) === to || relative(src, target) === `${to}/index`));
      if (!entry) wrong.push(`${relative(src, file)} imports ${relative(src, target)}`);
    }
  }
  expect(wrong).toEqual([]);
});
