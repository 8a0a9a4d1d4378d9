// Deleted files (restore one, or everything under a folder) and a file's version history (download or restore an older one).
import Router from '@koa/router';
import { MyDropboxError, baseName, parentPath, type RestoreResponse } from '@mydropbox/shared';
import { requireUser, type WebContext, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { breadcrumbs } from '../folderView';
import { setFlash, takeFlash } from '../flash';
import { sendPersonBytes } from '../personBytes';
import { folderParam, pathParam } from './files';

const PAGE_SIZE = 100;
const REASONS: Record<string, string> = {
  edit: 'Replaced by an edit',
  delete: 'Deleted',
  move: 'Moved or renamed away',
  restore: 'Replaced by a restore',
};

function describeRestore(path: string, r: RestoreResponse): string {
  if (r.restoredTo !== path) return `Restored “${baseName(path)}” as “${baseName(r.restoredTo)}”, because “${baseName(path)}” is taken.`;
  return `Restored “${baseName(path)}”.`;
}

function cursorParam(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.length > 200) throw new MyDropboxError('invalid_request', 'That page of deleted files does not exist.');
  return value;
}

function versionIdParam(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 200) throw new MyDropboxError('invalid_request', 'Choose one version.');
  return value;
}

export function historyRoutes({ services, render, cookies }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();
  const body = (ctx: WebContext) => (ctx.request.body ?? {}) as Record<string, unknown>;
  const deletedUrl = (dir: string) => (dir ? `/deleted?dir=${encodeURIComponent(dir)}` : '/deleted');

  router.get('/deleted', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const dir = folderParam(ctx.query.dir);
    const before = cursorParam(ctx.query.before);
    const page = await services.files.deleted(user.username, { under: dir || undefined, limit: PAGE_SIZE, before });
    render(ctx, 'deleted', {
      title: 'Deleted files · MyDropbox',
      dir,
      crumbs: breadcrumbs(dir),
      entries: page.deleted.map((d) => ({ ...d, name: baseName(d.path), parent: parentPath(d.path) })),
      next: page.next,
      paged: before !== undefined,
      flash: takeFlash(ctx, cookies),
    });
  });

  router.post('/deleted/restore', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const dir = folderParam(body(ctx).dir);
    const path = pathParam(body(ctx).path, 'Choose a file to restore.');
    try {
      setFlash(ctx, cookies, { kind: 'success', text: describeRestore(path, await services.files.restore(user.username, path)) });
    } catch (err) {
      if (!(err instanceof MyDropboxError) || err.code === 'internal') throw err;
      setFlash(ctx, cookies, { kind: 'error', text: err.message });
    }
    ctx.redirect(deletedUrl(dir));
  });

  router.post('/deleted/restore-folder', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const dir = folderParam(body(ctx).dir);
    const result = await services.files.restoreFolder(user.username, dir);
    const where = dir ? `“${baseName(dir)}”` : 'your MyDropbox';
    setFlash(ctx, cookies, {
      kind: 'success',
      text:
        result.restored === 0
          ? `Nothing deleted in ${where} could be restored.`
          : `Restored ${result.restored} ${result.restored === 1 ? 'file' : 'files'} in ${where}.`,
    });
    ctx.redirect(deletedUrl(dir));
  });

  router.get('/files/versions', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const path = pathParam(ctx.query.path);
    const history = await services.files.versions(user.username, path);
    render(ctx, 'versions', {
      title: `Versions of ${baseName(path)} · MyDropbox`,
      filePath: path,
      name: baseName(path),
      dir: parentPath(path),
      crumbs: breadcrumbs(parentPath(path)),
      current: history.current,
      versions: history.versions.map((v) => ({ ...v, reasonText: REASONS[v.reason] ?? v.reason })),
      flash: takeFlash(ctx, cookies),
    });
  });

  router.get('/files/versions/download', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const path = pathParam(ctx.query.path);
    const answer = await services.files.downloadVersion(user.username, versionIdParam(ctx.query.id), ctx.get('Range') || undefined);
    sendPersonBytes(ctx, answer, path);
  });

  router.post('/files/versions/restore', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const path = pathParam(body(ctx).path, 'Choose a file.');
    const id = versionIdParam(body(ctx).versionId);
    try {
      const r = await services.files.restore(user.username, path, id);
      setFlash(ctx, cookies, {
        kind: 'success',
        text:
          r.restoredTo === path
            ? `Restored the older version of “${baseName(path)}”; the one it replaced is kept below.`
            : describeRestore(path, r),
      });
    } catch (err) {
      if (!(err instanceof MyDropboxError) || err.code === 'internal') throw err;
      setFlash(ctx, cookies, { kind: 'error', text: err.message });
    }
    ctx.redirect(`/files/versions?path=${encodeURIComponent(path)}`);
  });

  return router;
}
