// Build the widget from src/ with esbuild into the server package (so wheels ship it):
//   server/plaudit_server/static/plaudit.min.js   the core: one IIFE, served at /widget.js
//   server/plaudit_server/static/widget/NAME.js   on-demand chunks: ES modules the core
//                                                 import()s from /widget/NAME.js?v=HASH
//   node build.mjs          write the built files
//   node build.mjs --check  exit 1 if the committed built files are not what src/ builds to
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC = join(here, '..', 'server', 'plaudit_server', 'static');
const CORE = join(STATIC, 'plaudit.min.js');
const CHUNK_DIR = join(STATIC, 'widget');
// Chunk name -> entry point. A capability that only some pages need goes here, not into
// the core (12 KB gzip budget): the core loads it with chunks.js's loadChunk(name).
const CHUNKS = {
  'lang-de': 'src/lang/de.js',
  'lang-es': 'src/lang/es.js',
  'lang-fr': 'src/lang/fr.js',
  'report-dialog': 'src/report.js', // the report dialog, its CSS, its strings in 4 languages
  comments: 'src/comments.js', // review threads and the product's discussion
  questions: 'src/questions.js', // product Q&A: data-plaudit-questions, the Questions tab
  ideas: 'src/ideas.js', // the idea board, roadmap and changelog: data-plaudit-ideas
};
// Gzip budgets (level 9, as bench/widget_size.py measures): the core, which every page
// with a widget loads, and the community bundles, which only their pages load.
const BUDGETS = { core: 12 * 1024, questions: 8 * 1024, ideas: 8 * 1024 };
const TARGET = ['chrome100', 'firefox100', 'safari15.4', 'edge100'];
const BANNER = '/* Plaudit widget | MIT | built from widget/src by widget/build.mjs */';

// CSS is minified by esbuild too and bundled as a string (adopted into each shadow root).
const cssAsText = {
  name: 'css-as-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const css = await esbuild.transform(await readFile(args.path, 'utf8'), {
        loader: 'css',
        minify: true,
        target: ['chrome100'],
      });
      return { contents: `export default ${JSON.stringify(css.code.trim())};`, loader: 'js' };
    });
  },
};

// The same tag the server puts in ETags and ?v= (web.py: sha256, 20 hex digits).
const digest = (text) => createHash('sha256').update(text).digest('hex').slice(0, 20);

async function bundle(entry, options) {
  const result = await esbuild.build({
    entryPoints: [join(here, entry)],
    bundle: true,
    minify: true,
    target: TARGET,
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    banner: { js: BANNER },
    ...options,
  });
  return result.outputFiles[0].text;
}

const outputs = new Map(); // path -> text
const hashes = {};
for (const [name, entry] of Object.entries(CHUNKS)) {
  const code = await bundle(entry, { format: 'esm', plugins: [cssAsText] });
  hashes[name] = digest(code);
  outputs.set(join(CHUNK_DIR, `${name}.js`), code);
}
outputs.set(
  CORE,
  await bundle('src/plaudit.js', {
    format: 'iife',
    plugins: [cssAsText],
    define: { __PLAUDIT_CHUNKS__: JSON.stringify(hashes) },
  }),
);

const rel = (path) => path.slice(join(here, '..').length + 1);
const over = Object.entries(BUDGETS)
  .map(([name, budget]) => {
    const path = name === 'core' ? CORE : join(CHUNK_DIR, `${name}.js`);
    const size = gzipSync(outputs.get(path), { level: 9 }).length;
    console.log(`${rel(path)}: ${size} B gzip (budget ${budget} B)`);
    return size > budget ? `${rel(path)} is ${size} B gzipped, over its ${budget} B budget` : null;
  })
  .filter(Boolean);
const present = await readdir(CHUNK_DIR).catch(() => []);
const stale = present
  .filter((f) => !outputs.has(join(CHUNK_DIR, f)))
  .map((f) => join(CHUNK_DIR, f));

if (process.argv.includes('--check')) {
  if (over.length) {
    console.error(over.join('; '));
    process.exit(1);
  }
  const wrong = [...stale];
  for (const [path, code] of outputs) {
    if ((await readFile(path, 'utf8').catch(() => '')) !== code) wrong.push(path);
  }
  if (wrong.length) {
    console.error(
      `not current with widget/src: ${wrong.map(rel).join(', ')}: run \`cd widget && npm ci && npm run build\` and commit them.`,
    );
    process.exit(1);
  }
  console.log(`the built widget is current (${outputs.size} files).`);
} else {
  if (over.length) console.error(`warning: ${over.join('; ')}: \`npm run check\` fails`);
  await mkdir(CHUNK_DIR, { recursive: true });
  for (const path of stale) await rm(path);
  for (const [path, code] of outputs) {
    await writeFile(path, code);
    console.log(`wrote ${rel(path)} (${code.length} bytes)`);
  }
}
