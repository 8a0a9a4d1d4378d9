// The files page's forms: New folder, Rename, Move and Delete, each through the data server's folder, move and delete calls.
import Router from '@koa/router';
import { MyDropboxError, baseName, isInside, normalizePath, parentPath } from '@mydropbox/shared';
import type { FileGateway } from '@mydropbox/router';
import { requireUser, type WebContext, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { setFlash } from '../flash';
import { folderParam, pathParam, pathsParam } from './files';

/** One name typed by a person: a single segment, checked by the one path validator. */
export function nameParam(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new MyDropboxError('invalid_path', `Type a ${what}.`);
  const name = value.trim();
  if (name.includes('/')) throw new MyDropboxError('invalid_path', `A ${what} cannot contain "/".`);
  return normalizePath(name);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function folderUrl(dir: string): string {
  return dir === '' ? '/files' : `/files?dir=${encodeURIComponent(dir)}`;
}

async function kindAt(files: FileGateway, username: string, path: string): Promise<'file' | 'folder' | undefined> {
  return (await files.entry(username, path))?.kind;
}

export function fileActionRoutes({ services, cookies }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();
  const files = services.files;

  /** Runs a form's action and goes back to the folder with what happened, in words. */
  const act = async (ctx: WebContext, dir: string, action: (username: string) => Promise<string>) => {
    const user = requireUser(ctx);
    if (!user) return;
    try {
      setFlash(ctx, cookies, { kind: 'success', text: await action(user.username) });
    } catch (err) {
      if (!(err instanceof MyDropboxError) || err.code === 'internal') throw err;
      setFlash(ctx, cookies, { kind: 'error', text: err.message });
    }
    ctx.redirect(folderUrl(dir));
  };

  const body = (ctx: WebContext) => (ctx.request.body ?? {}) as Record<string, unknown>;

  router.post('/files/new-folder', async (ctx) => {
    const dir = folderParam(body(ctx).dir);
    await act(ctx, dir, async (username) => {
      const name = nameParam(body(ctx).name, 'folder name');
      const path = dir === '' ? name : `${dir}/${name}`;
      if (await kindAt(files, username, path))
        throw new MyDropboxError('conflict', `There is already a file or folder named “${name}” here.`);
      await files.makeFolder(username, path);
      return `Created the folder “${name}”.`;
    });
  });

  router.post('/files/rename', async (ctx) => {
    const path = pathParam(body(ctx).path, 'Choose what to rename.');
    await act(ctx, parentPath(path), async (username) => {
      const name = nameParam(body(ctx).name, 'new name');
      const to = parentPath(path) === '' ? name : `${parentPath(path)}/${name}`;
      if (to === path) return `“${name}” keeps its name.`;
      const kind = await kindAt(files, username, path);
      if (!kind) throw new MyDropboxError('not_found', `“${baseName(path)}” is not there any more; it may have been moved or deleted.`);
      const taken = await kindAt(files, username, to);
      if (taken) throw new MyDropboxError('conflict', `There is already a ${taken} named “${name}” here; choose another name.`);
      await files.transfer(username, kind, 'move', { from: path, to });
      return `Renamed “${baseName(path)}” to “${name}”.`;
    });
  });

  router.post('/files/move', async (ctx) => {
    const from = folderParam(body(ctx).dir);
    await act(ctx, from, async (username) => {
      const paths = pathsParam(body(ctx).path);
      const dest = folderParam(body(ctx).to);
      if (dest !== '' && (await kindAt(files, username, dest)) !== 'folder') {
        throw new MyDropboxError('not_found', `There is no folder “${dest}” to move into.`);
      }
      let moved = 0;
      const problems: string[] = [];
      for (const path of paths) {
        const to = dest === '' ? baseName(path) : `${dest}/${baseName(path)}`;
        if (to === path) continue;
        if (dest === path || isInside(dest, path)) {
          problems.push(`“${baseName(path)}” cannot go into itself`);
          continue;
        }
        const kind = await kindAt(files, username, path);
        if (!kind) {
          problems.push(`“${baseName(path)}” is not there any more`);
          continue;
        }
        if (await kindAt(files, username, to)) {
          problems.push(`“${dest || 'All files'}” already has something named “${baseName(path)}”`);
          continue;
        }
        await files.transfer(username, kind, 'move', { from: path, to });
        moved++;
      }
      const where = dest === '' ? 'All files' : `“${baseName(dest)}”`;
      if (problems.length && moved === 0) throw new MyDropboxError('conflict', `Nothing was moved: ${problems.join('; ')}.`);
      return `Moved ${plural(moved, 'item')} to ${where}.${problems.length ? ` Not moved: ${problems.join('; ')}.` : ''}`;
    });
  });

  router.post('/files/delete', async (ctx) => {
    const dir = folderParam(body(ctx).dir);
    await act(ctx, dir, async (username) => {
      const paths = pathsParam(body(ctx).path);
      let deleted = 0;
      for (const path of paths) {
        const kind = await kindAt(files, username, path);
        if (kind === 'file') await files.delete(username, path);
        else if (kind === 'folder') await files.deleteFolder(username, path);
        else continue;
        deleted++;
      }
      const what = paths.length === 1 ? `“${baseName(paths[0]!)}”` : plural(deleted, 'item');
      return `Deleted ${what}.`;
    });
  });

  return router;
}
