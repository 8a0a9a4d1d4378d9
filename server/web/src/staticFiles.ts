// Serves the stylesheet, icons and scripts in public/ under /static/, from a list read once at start (no path lookups).
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';

const PUBLIC_DIR = path.join(__dirname, 'public');
export const STATIC_PREFIX = '/static/';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function readAssets(dir: string, base = ''): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = base ? `${base}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const [k, v] of readAssets(full, rel)) assets.set(k, v);
      continue;
    }
    const type = TYPES[path.extname(entry.name)];
    if (!type) continue;
    const body = fs.readFileSync(full);
    assets.set(rel, asset(body, type));
  }
  return assets;
}

/** Browser builds of the libraries the pages use, served from their npm packages as they ship (no copy in the repository). */
const VENDOR: Record<string, string> = {
  'vendor/sha256.min.js': 'js-sha256/build/sha256.min.js',
  'vendor/highlight.min.js': '@highlightjs/cdn-assets/highlight.min.js',
  'vendor/hljs-light.css': '@highlightjs/cdn-assets/styles/a11y-light.min.css',
  'vendor/hljs-dark.css': '@highlightjs/cdn-assets/styles/a11y-dark.min.css',
};

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

function readVendorAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, module] of Object.entries(VENDOR)) {
    assets.set(name, asset(fs.readFileSync(require.resolve(module)), TYPES[path.extname(name)]!));
  }
  return assets;
}

export function staticFiles(): Middleware {
  const assets = new Map([...readAssets(PUBLIC_DIR), ...readVendorAssets()]);
  return async (ctx, next) => {
    if (!ctx.path.startsWith(STATIC_PREFIX) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const asset = assets.get(ctx.path.slice(STATIC_PREFIX.length));
    if (!asset) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', asset.etag);
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
}
