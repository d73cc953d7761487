// Bundles the CLI into one CommonJS file, dist/cli/etcd-lab.cjs, which dist/cli/launch.cjs runs with V8's code cache,
// and the smaller ones launch.cjs loads on the paths to a cluster's start (early-spawn, supervisor-first, supervisor;
// all in dist/cli, which the paths below count on). Each module's import.meta.url becomes the URL of the file tsc
// writes for it in dist/, so the paths it resolves
// (templates, examples, package.json) are the same in the bundle as in dist/. A script run by node:vm has no
// dynamic import: the lazy imports of Node's own modules become require(), and any other one fails the build.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'cli', 'etcd-lab.cjs');

const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const distFile = join(root, 'dist', relative(join(root, 'src'), args.path)).replace(/\.ts$/, '.js');
      const fromBundle = relative(dirname(outfile), distFile).split('\\').join('/');
      const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(fromBundle)})).href`;
      return { contents: text.replaceAll('import.meta.url', `(${url})`), loader: 'ts' };
    });
  },
};

/** One CommonJS file for Node 20 from one entry point of src/cli, its lazy imports of Node's modules as require(). */
async function bundleOf(entry, to) {
  await build({
    entryPoints: [join(root, 'src', 'cli', entry)],
    outfile: to,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [importMetaUrl],
    logLevel: 'warning',
  });
  const text = await readFile(to, 'utf8');
  const out = text.replace(/\bimport\("(node:[a-z0-9_/]+)"\)/g, 'Promise.resolve(require("$1"))');
  const left = out.match(/[^\w.$]import\(/g);
  if (left) {
    process.stderr.write(`bundle: ${left.length} dynamic import() left in ${to}; the launcher cannot run them\n`);
    process.exit(1);
  }
  await writeFile(to, out);
}

await bundleOf('bin.ts', outfile);

/** A smaller bundle launch.cjs loads on a path where ms count, before the one above or instead of it. */
const small = (name, entry = name) => bundleOf(`${entry}.ts`, join(root, 'dist', 'cli', `${name}.cjs`));
// The first thing `up -d` loads: it spawns the background supervisor.
await small('early-spawn');
// The background supervisor's first stage (for `__supervise`): it takes the start request and spawns the members
// before any other code of the supervisor has loaded.
await small('supervisor-first');
// The rest of the background supervisor: its code only, not the command tree.
await small('supervisor', 'supervise');
