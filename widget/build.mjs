// Build server/plaudit_server/static/plaudit.min.js from src/ with esbuild (bundled, minified, one IIFE).
//   node build.mjs          write the built file
//   node build.mjs --check  exit 1 if the committed built file is not what src/ builds to
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
// Inside the server package, so a wheel of plaudit[server] ships it.
const OUT = join(here, '..', 'server', 'plaudit_server', 'static', 'plaudit.min.js');

// CSS is minified by esbuild too and bundled as a string (adopted into each shadow root).
const cssAsText = {
  name: 'css-as-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const css = await esbuild.transform(await readFile(args.path, 'utf8'), { loader: 'css', minify: true, target: ['chrome100'] });
      return { contents: `export default ${JSON.stringify(css.code.trim())};`, loader: 'js' };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [join(here, 'src', 'plaudit.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15.4', 'edge100'],
  charset: 'utf8',
  legalComments: 'none',
  write: false,
  plugins: [cssAsText],
  banner: { js: '/* Plaudit widget | MIT | built from widget/src by widget/build.mjs */' },
});
const code = result.outputFiles[0].text;

if (process.argv.includes('--check')) {
  const committed = await readFile(OUT, 'utf8').catch(() => '');
  if (committed !== code) {
    console.error('server/plaudit_server/static/plaudit.min.js is not current with widget/src: run `cd widget && npm ci && npm run build` and commit it.');
    process.exit(1);
  }
  console.log('server/plaudit_server/static/plaudit.min.js is current.');
} else {
  await writeFile(OUT, code);
  console.log(`wrote ${OUT} (${code.length} bytes)`);
}
