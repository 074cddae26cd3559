/**
 * The files the page loads: the compiled page (dist/web/ui), its stylesheet, and the vendor files
 * of the installed packages, by a fixed list (nothing else under node_modules is reachable).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export function contentType(path: string): string {
  const dot = path.lastIndexOf('.');
  return TYPES[path.slice(dot)] ?? 'application/octet-stream';
}

/** The vendor files by URL path under /vendor/. */
export function vendorFiles(): Map<string, string> {
  const preact = packageDir('preact');
  const xterm = packageDir('@xterm/xterm');
  const fit = packageDir('@xterm/addon-fit');
  return new Map([
    ['preact/preact.mjs', join(preact, 'dist', 'preact.mjs')],
    ['preact/hooks.mjs', join(preact, 'hooks', 'dist', 'hooks.mjs')],
    ['preact/jsx-runtime.mjs', join(preact, 'jsx-runtime', 'dist', 'jsxRuntime.mjs')],
    ['xterm/xterm.mjs', join(xterm, 'lib', 'xterm.mjs')],
    ['xterm/xterm.css', join(xterm, 'css', 'xterm.css')],
    ['xterm/addon-fit.mjs', join(fit, 'lib', 'addon-fit.mjs')],
  ]);
}

/** A file under `root` by its URL path, or null for anything outside it. */
export function fileUnder(root: string, urlPath: string): string | null {
  const path = resolve(root, normalize(urlPath).replace(/^([/\\])+/, ''));
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || rel.includes(`..${sep}`)) return null;
  return path;
}

/** Reads an asset once and keeps it: the page's files do not change while the dashboard runs. */
export class AssetCache {
  private readonly files = new Map<string, Buffer | null>();

  read(path: string): Buffer | null {
    if (!this.files.has(path)) {
      try {
        this.files.set(path, readFileSync(path));
      } catch {
        this.files.set(path, null);
      }
    }
    return this.files.get(path)!;
  }
}
