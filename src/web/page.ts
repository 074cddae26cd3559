import { html, raw } from 'hono/html';

/** Where each bare module name of the page resolves: files of the installed packages, no CDN. */
export const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/vendor/preact/preact.mjs',
    'preact/hooks': '/vendor/preact/hooks.mjs',
    'preact/jsx-runtime': '/vendor/preact/jsx-runtime.mjs',
    '@xterm/xterm': '/vendor/xterm/xterm.mjs',
    '@xterm/addon-fit': '/vendor/xterm/addon-fit.mjs',
  },
});

export type PageKind = 'overview' | 'task' | 'mission';

/** The one HTML shell of every page; the page's script reads which page from `#app`'s data. */
export function pageShell(kind: PageKind, name: string | null) {
  const title = name === null ? 'holdfast' : `${name} · holdfast`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<script type="importmap">${raw(IMPORT_MAP)}</script>
<link rel="stylesheet" href="/vendor/xterm/xterm.css">
<link rel="stylesheet" href="/ui/style.css">
<link rel="modulepreload" href="/ui/main.js">
<script type="module" src="/ui/main.js"></script>
</head>
<body><div id="app" data-page="${kind}" data-name="${name ?? ''}"></div></body>
</html>
`;
}
