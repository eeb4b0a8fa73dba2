// The console's stylesheet and script: files next to this one, read once when the console is
// mounted and served by hostintel itself (no CDN, no bundler). Their URLs carry a hash of
// the content, so browsers may cache them for good and still see a new version at once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import type { ConsoleEnv } from './console-env.ts';

export interface AssetPaths {
  css: string;
  js: string;
  icon: string;
}

const files = {
  css: { name: 'console.css', type: 'text/css; charset=utf-8' },
  js: { name: 'console.js', type: 'text/javascript; charset=utf-8' },
  icon: { name: 'favicon.svg', type: 'image/svg+xml' },
} as const;

/** Reads the assets, serves them under /console/assets/, and returns their URLs. */
export function serveAssets(app: Hono<ConsoleEnv>): AssetPaths {
  const paths = {} as AssetPaths;
  for (const [kind, file] of Object.entries(files) as [
    keyof AssetPaths,
    (typeof files)[keyof AssetPaths],
  ][]) {
    const body = readFileSync(new URL(`./assets/${file.name}`, import.meta.url), 'utf8');
    const version = createHash('sha256').update(body).digest('hex').slice(0, 12);
    app.get(`/assets/${file.name}`, (c) =>
      c.body(body, 200, {
        'Content-Type': file.type,
        'Cache-Control': 'public, max-age=31536000, immutable',
      }),
    );
    paths[kind] = `/console/assets/${file.name}?v=${version}`;
  }
  return paths;
}
