import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The compiled script of a worker thread that sits beside `moduleUrl` (`import.meta.url` of
 * the module that starts it) as `<name>.ts`. Built code finds `<name>.js` next to itself; code
 * run from its TypeScript source (Jest) uses the build under `dist/`, so the worker always runs
 * compiled JavaScript. Throws, saying what to run, when there is no build.
 */
export function workerScript(moduleUrl: string, name: string): URL {
  const here = dirname(fileURLToPath(moduleUrl));
  const sibling = join(here, `${name}.js`);
  if (existsSync(sibling)) {
    return pathToFileURL(sibling);
  }
  let root = here;
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) {
    root = dirname(root);
  }
  const built = join(root, 'dist', relative(root, here), `${name}.js`);
  if (existsSync(built)) {
    return pathToFileURL(built);
  }
  throw new Error(
    `the worker script ${name}.js is not built (looked in ${here}${sep} and ${dirname(built)}${sep}): run npm run build`,
  );
}
