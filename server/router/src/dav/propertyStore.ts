// Rows of DavProperties: dead properties set with PROPPATCH, kept per user and path in the central database.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isSqlite } from '@mydropbox/server-common';
import { isInside } from '@mydropbox/shared';
import { DEFAULT_DAV_LIMITS, type DavLimits } from './limits';

export interface DeadProperty {
  ns: string;
  name: string;
  /** The value as XML content (see serializeContent). */
  value: string;
}

export type PropertyChange = { kind: 'set'; ns: string; name: string; value: string } | { kind: 'remove'; ns: string; name: string };

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const pathKey = (path: string) => sha(path);
const propKey = (ns: string, name: string) => sha(`${ns}\n${name}`);
const atOrUnder = (path: string, dir: string) => path === dir || isInside(path, dir);

/** A PROPPATCH or COPY that would store more than DavLimits allow; nothing was changed. */
export class PropertyLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyLimitError';
  }
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const rowBytes = (r: { Namespace: string; Name: string; Value: string }) => bytes(r.Namespace) + bytes(r.Name) + bytes(r.Value);

interface PropRow {
  Filepath: string;
  Namespace: string;
  Name: string;
  Value: string;
}

export class PropertyStore {
  constructor(
    private readonly db: Knex,
    private readonly limits: DavLimits = DEFAULT_DAV_LIMITS,
  ) {}

  /** What one account's dead properties take, names and values, summed by the database (bytes on both). */
  private async accountBytes(owner: string, trx: Knex): Promise<number> {
    const len = (column: string) => (isSqlite(this.db) ? `LENGTH(CAST(${column} AS BLOB))` : `LENGTH(${column})`);
    const [row] = (await trx('DavProperties')
      .where({ Owner: owner })
      .select(trx.raw(`COALESCE(SUM(${len('Namespace')} + ${len('Name')} + ${len('Value')}), 0) AS n`))) as { n: number | string }[];
    return Number(row.n);
  }

  private assertAccountRoom(total: number): void {
    if (total > this.limits.propertyBytesPerAccount) {
      throw new PropertyLimitError(
        `The properties of this account would take more than ${this.limits.propertyBytesPerAccount} bytes; remove some first.`,
      );
    }
  }

  /** The properties of several paths in one query (a PROPFIND of a folder and its children). */
  async listMany(owner: string, paths: readonly string[]): Promise<Map<string, DeadProperty[]>> {
    const out = new Map<string, DeadProperty[]>(paths.map((p) => [p, []]));
    for (let i = 0; i < paths.length; i += 500) {
      const rows = (await this.db('DavProperties')
        .select('Filepath', 'Namespace', 'Name', 'Value')
        .where({ Owner: owner })
        .whereIn('PathKey', paths.slice(i, i + 500).map(pathKey))) as PropRow[];
      for (const r of rows) out.get(r.Filepath)?.push({ ns: r.Namespace, name: r.Name, value: r.Value });
    }
    return out;
  }

  /** Applies sets and removes in order, all or nothing; PropertyLimitError when the result would be over a limit. */
  async apply(owner: string, path: string, changes: readonly PropertyChange[]): Promise<void> {
    for (const c of changes) {
      if (bytes(c.ns) + bytes(c.name) > this.limits.propertyNameBytes)
        throw new PropertyLimitError(`A property name is longer than ${this.limits.propertyNameBytes} bytes.`);
      if (c.kind === 'set' && bytes(c.value) > this.limits.propertyValueBytes)
        throw new PropertyLimitError(`The value of ${c.name} is larger than ${this.limits.propertyValueBytes} bytes.`);
    }
    await this.db.transaction(async (trx) => {
      for (const c of changes) {
        const where = { Owner: owner, PathKey: pathKey(path), PropKey: propKey(c.ns, c.name) };
        await trx('DavProperties').where(where).delete();
        if (c.kind === 'set')
          await trx('DavProperties').insert({ ...where, Filepath: path, Namespace: c.ns, Name: c.name, Value: c.value });
      }
      const [{ n }] = (await trx('DavProperties')
        .where({ Owner: owner, PathKey: pathKey(path) })
        .count({ n: '*' })) as { n: number | string }[];
      if (Number(n) > this.limits.propertiesPerResource)
        throw new PropertyLimitError(`A file or folder can have at most ${this.limits.propertiesPerResource} properties.`);
      this.assertAccountRoom(await this.accountBytes(owner, trx));
    });
  }

  /** Refuses (PropertyLimitError) a COPY whose properties would not fit the account, before anything is copied. */
  async assertRoomToCopy(owner: string, from: string, to: string, onlySelf: boolean): Promise<void> {
    const total = await this.accountBytes(owner, this.db);
    if (total === 0) return;
    const rows = (await this.db('DavProperties').select('Filepath', 'Namespace', 'Name', 'Value').where({ Owner: owner })) as PropRow[];
    const copied = rows
      .filter((r) => (onlySelf ? r.Filepath === from : atOrUnder(r.Filepath, from)))
      .reduce((sum, r) => sum + rowBytes(r), 0);
    const replaced = rows.filter((r) => atOrUnder(r.Filepath, to)).reduce((sum, r) => sum + rowBytes(r), 0);
    this.assertAccountRoom(total - replaced + copied);
  }

  /** Forgets the properties of `path` and everything below it. */
  async removeTree(owner: string, path: string, trx: Knex = this.db): Promise<void> {
    const keys = await this.keysUnder(owner, path, trx);
    for (let i = 0; i < keys.length; i += 500) {
      await trx('DavProperties')
        .where({ Owner: owner })
        .whereIn('PathKey', keys.slice(i, i + 500))
        .delete();
    }
  }

  /** Gives `to` (and what is below it) the properties of `from` (and below), replacing what `to` had. */
  async copyTree(owner: string, from: string, to: string, opts: { andRemove?: boolean; onlySelf?: boolean } = {}): Promise<void> {
    await this.db.transaction(async (trx) => {
      const rows = (await trx('DavProperties').select('Filepath', 'Namespace', 'Name', 'Value').where({ Owner: owner })) as PropRow[];
      await this.removeTree(owner, to, trx);
      const moving = rows.filter((r) => (opts.onlySelf ? r.Filepath === from : atOrUnder(r.Filepath, from)));
      if (opts.andRemove) await this.removeTree(owner, from, trx);
      // A check made before the copy can race another request: the total is checked again here.
      if (!opts.andRemove) this.assertAccountRoom((await this.accountBytes(owner, trx)) + moving.reduce((sum, r) => sum + rowBytes(r), 0));
      for (const r of moving) {
        const target = to + r.Filepath.slice(from.length);
        await trx('DavProperties').insert({
          Owner: owner,
          PathKey: pathKey(target),
          Filepath: target,
          PropKey: propKey(r.Namespace, r.Name),
          Namespace: r.Namespace,
          Name: r.Name,
          Value: r.Value,
        });
      }
    });
  }

  private async keysUnder(owner: string, path: string, trx: Knex): Promise<string[]> {
    const rows = (await trx('DavProperties').distinct('Filepath').where({ Owner: owner })) as { Filepath: string }[];
    return [...new Set(rows.filter((r) => atOrUnder(r.Filepath, path)).map((r) => pathKey(r.Filepath)))];
  }
}
