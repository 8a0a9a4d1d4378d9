// Request and response shapes of the HTTP APIs that more than one package speaks.
import type { ErrorBody } from './errors';
//
// Router (public, under /api/v1):
//   POST   /api/v1/sessions            SignInRequest -> SignInResponse (device token)
//   DELETE /api/v1/sessions/current    revokes the calling device token (Bearer device token) -> 204
//   POST   /api/v1/access-tokens       (Bearer device token) -> AccessTokenResponse
//   GET    /api/v1/me                  (Bearer device token) -> MeResponse (where is my data server, quota)
//   POST   /api/v1/users               SignUpRequest -> SignUpResponse (same rules as the website)
//   GET    /api/v1/files/content?path= (Bearer device token) streams a file from the user's data server
//   POST   /api/v1/login-codes         (Bearer device token) -> { code, expiresAt }: a one-time code, 2 minutes,
//                                      bound to the calling device (the website's session makes them for vscode:// links)
//   POST   /api/v1/login-codes/inspect { code } -> LoginCodeInfo (whose account; the code is not used up) or 401
//   POST   /api/v1/login-codes/redeem  { code, deviceName?, deviceKind? } -> SignInResponse (once) or 401
//   POST   /api/v1/share-links         (Bearer device token) CreateShareLinkRequest -> 201 CreateShareLinkResponse
//   GET    /api/v1/share-links         (Bearer device token) -> ShareLinksResponse (the live links, newest first)
//   GET    /healthz
// Website: GET /.well-known/mydropbox.json -> Discovery (how a client given the one address finds the API)
// Data server (Bearer access token signed by the router):
//   GET    /v1/files                   -> ListResponse
//   GET    /v1/files/meta?path=        -> FileEntryWithBlocks
//   GET    /v1/files/content?path=     file bytes; honours Range
//   DELETE /v1/files?path=&baseRev=    -> DeleteResponse (409 when baseRev is stale)
//   POST   /v1/blocks/missing          MissingBlocksRequest -> MissingBlocksResponse
//   PUT    /v1/blocks/:hash            raw block bytes (<= BLOCK_SIZE) -> 204; verified against :hash
//   POST   /v1/blocks/batch            many small blocks in one body (BLOCK_BATCH framing below, <= BLOCK_BATCH_MAX_BYTES)
//                                      -> 204; every block verified, quota checked for the whole body first
//   GET    /v1/blocks/:hash/parts      raw SHA-256 of each PART_SIZE part of a block the user holds, 32 bytes each
//   PUT    /v1/blocks/:hash/delta?base=&size=  the parts of block :hash (size bytes) that differ from block `base`
//                                      (BLOCK_DELTA framing below) -> 204; rebuilt from `base` and verified against :hash
//   POST   /v1/commit/batch            CommitBatchRequest -> CommitBatchResponse (one result per commit, in order;
//                                      the files are fsynced in parallel, each folder once, the rows in one transaction)
//   POST   /v1/uploads                 OpenUploadRequest -> 201 OpenUploadResponse (see below)
//   PUT    /v1/uploads/:id/blocks/:i   raw bytes of block i of the session's file -> 204
//   POST   /v1/commit                  CommitRequest -> FileEntry (409 stale base, 507 quota, 409 block_missing)
//   GET    /v1/changes?cursor=&timeout= long-poll -> ChangesResponse
//   GET    /v1/usage                   -> UsageResponse
//   POST   /v1/files/copy              CopyRequest -> FileEntry (zero payload; 409 if `to` exists unless overwrite)
//   POST   /v1/files/move              CopyRequest -> MoveResponse (the source becomes a tombstone)
//   GET    /v1/entries?path=&depth=0|1 -> EntriesResponse (a file or folder, and a folder's children; path '' is the top)
//   GET    /v1/folders                 -> FoldersResponse (the explicit folders: empty ones made over WebDAV)
//   POST   /v1/folders                 FolderRequest -> FolderEntry (201 made, 200 already there; parents made too)
//   DELETE /v1/folders?path=           -> FolderChangeResponse (the folder, its files and subfolders)
//   POST   /v1/folders/copy            CopyRequest -> FolderChangeResponse (409 if `to` exists unless overwrite)
//   POST   /v1/folders/move            CopyRequest -> FolderChangeResponse
//   GET    /v1/versions?path=          -> VersionsResponse (kept versions of a path, newest first; 404 if it never existed)
//   GET    /v1/versions/content?id=    the bytes of a kept version; honours Range
//   GET    /v1/deleted?under=&limit=&before= -> DeletedResponse (deleted paths with a kept version, newest deletion first)
//   POST   /v1/restore                 RestoreRequest -> RestoreResponse (a new commit; beside the path when it is taken)
//   POST   /v1/restore/folder          RestoreFolderRequest -> RestoreFolderResponse
//   DELETE /v1/account                 (router scope only) removes everything of the user on this server -> 204
//   POST   /revocations                RevocationsRequest (router scope, no account) -> 204: device ids signed
//                                      out; their access tokens are refused with 401 from then on
//   GET    /healthz                    -> DataHealth
// Router-scope calls name the door they serve in the header X-MyDropbox-Device ("Website", "WebDAV"); user
// tokens carry the device's name in the claim `dn`. The data server records it as the `device` of a change.

/** Every user's quota: 5 GB (decimal, as storage is sold). */
export const QUOTA_BYTES = 5_000_000_000;

/** DataServers.MaxCapacity is in GB; each user takes one quota's worth of it. */
export const QUOTA_GB = 5;

export const WELL_KNOWN_PATH = '/.well-known/mydropbox.json';

export interface Discovery {
  name: 'MyDropbox';
  apiUrl: string; // e.g. http://host:port/api/v1
  webUrl: string;
  davUrl?: string;
}

export type DeviceKind = 'daemon' | 'vscode' | 'webdav' | 'web';

export interface SignInRequest {
  username: string;
  password: string;
  deviceName?: string;
  deviceKind?: DeviceKind;
}

export interface DataServerAddress {
  id: number;
  url: string; // base URL, e.g. http://127.0.0.1:7101
}

export interface SignInResponse {
  username: string;
  deviceId: number;
  deviceToken: string;
  dataServer: DataServerAddress;
}

export interface AccessTokenResponse {
  accessToken: string;
  expiresAt: number; // ms since epoch
  dataServer: DataServerAddress;
}

export interface MeResponse {
  username: string;
  email: string;
  dataServer: DataServerAddress;
  quotaBytes: number;
}

export interface SignUpRequest {
  username: string;
  email: string;
  password: string;
}

export interface SignUpResponse {
  username: string;
  dataServer: DataServerAddress;
}

/** What the access token a router signs for a data server carries. */
/** Devices the router signed out (their `did`); sent at once and again with every health poll. */
/** Whose account a sign-in code would sign in to; the editor shows it and asks before redeeming. */
export interface LoginCodeInfo {
  username: string;
}

export interface RevocationsRequest {
  deviceIds: number[];
}

export interface AccessClaims {
  sub: string; // username
  sid: number; // data server id
  did?: number; // device id (absent for the router's own calls)
  scope: 'user' | 'router';
  exp: number; // seconds since epoch
  dn?: string; // the device's name (user tokens), recorded as who made a change
}

/** The header a router-scope call names its door in ("Website", "WebDAV"); trusted only with a router-scope token. */
export const DEVICE_HEADER = 'X-MyDropbox-Device';

export interface FileEntry {
  path: string;
  size: number;
  contentHash: string;
  rev: number;
  modifiedAt: number; // ms since epoch, as the client reported it
  device?: string | null; // which device changed it last ("Website", "WebDAV", a device name)
  executable?: boolean;
}

export interface FileEntryWithBlocks extends FileEntry {
  blocks: string[];
}

export interface ListResponse {
  files: FileEntry[];
  /** Explicit folders (made on purpose, possibly empty); older servers leave it out. */
  folders?: FolderEntry[];
  cursor: string; // pass to /v1/changes to follow from this listing on
}

export interface MissingBlocksRequest {
  hashes: string[];
}

export interface MissingBlocksResponse {
  missing: string[];
}

export interface CommitRequest {
  path: string;
  size: number;
  blocks: string[];
  /** The revision this content was made from; null for a new file. A mismatch gets 409. */
  baseRev: number | null;
  modifiedAt?: number;
  /** POST /v1/commit only: the upload session whose temp file holds the blocks sent to it. */
  uploadId?: string;
  /** The file's executable bit (absent: what the path's live file had, false for a new file: a door that cannot say keeps it). */
  executable?: boolean;
}

/**
 * Upload sessions, for files of several blocks: POST /v1/uploads OpenUploadRequest -> 201
 * OpenUploadResponse; PUT /v1/uploads/:uploadId/blocks/:index raw bytes of that block -> 204
 * (verified against blocks[index], written at index * BLOCK_SIZE in the commit's temp file, never
 * staged); then POST /v1/commit with the same size and blocks and `uploadId`. Blocks not sent to
 * the session must be staged or held as usual. A session idle for 10 minutes, committed, or lost in
 * a restart is gone: its PUTs get 404 and its commit 409 block_missing.
 */
export interface OpenUploadRequest {
  size: number;
  blocks: string[];
}

export interface OpenUploadResponse {
  uploadId: string;
}

/**
 * POST /v1/blocks/batch body: frames of [32-byte raw SHA-256][4-byte big-endian length][bytes], back to back.
 * PUT /v1/blocks/:hash/delta body: frames of [4-byte big-endian part index][4-byte big-endian length][bytes].
 */
export const BLOCK_BATCH_MAX_BYTES = 16 * 1024 * 1024;
export const COMMIT_BATCH_MAX = 1000;

export interface CommitBatchRequest {
  commits: CommitRequest[];
}

export type CommitResult = { file: FileEntry } | { error: ErrorBody['error'] };

export interface CommitBatchResponse {
  results: CommitResult[];
}

export interface DeleteResponse {
  path: string;
  rev: number;
}

export interface Change {
  path: string;
  deleted: boolean;
  rev: number;
  size: number;
  contentHash: string;
  modifiedAt: number;
  /** Absent: a file. 'folder': an explicit folder was created or (deleted: true) removed; rev, size and hash are 0/empty. */
  kind?: 'file' | 'folder';
  executable?: boolean;
  device?: string | null;
}

export interface ChangesResponse {
  changes: Change[];
  cursor: string;
  /** True when the cursor is too old or unknown: list again instead. */
  reset?: boolean;
}

export interface UsageResponse {
  usedBytes: number;
  quotaBytes: number;
  fileCount: number;
}

/** Server-side copy or move of one file (WebDAV COPY/MOVE, client renames): no bytes are sent. */
export interface CopyRequest {
  from: string;
  to: string;
  /** The source's revision the caller means; a mismatch gets 409. Omitted: whatever is there. */
  baseRev?: number;
  /** Replace a live file at `to`; without it that is a 409 conflict with details {currentRev}. */
  overwrite?: boolean;
}

export interface MoveResponse {
  file: FileEntry;
  /** The tombstone left at the source. */
  from: DeleteResponse;
}

/** A folder someone made on purpose; folders holding files exist by their files' paths alone. */
export interface FolderEntry {
  path: string;
  createdAt: number; // ms since epoch
}

export interface FolderRequest {
  path: string;
}

export interface FoldersResponse {
  folders: FolderEntry[];
}

/** One file or folder as a file manager sees it (WebDAV PROPFIND). */
export interface TreeEntry {
  kind: 'file' | 'folder';
  path: string; // '' for the top folder
  size: number; // 0 for folders
  contentHash: string | null; // null for folders
  rev: number | null; // null for folders
  modifiedAt: number;
  createdAt: number;
  /** Files: which device changed it last ("Website", "WebDAV", a device name); absent when not known. */
  device?: string | null;
}

export interface EntriesResponse {
  entry: TreeEntry;
  /** The folder's direct children, sorted by path (empty for a file or depth 0). */
  children: TreeEntry[];
}

export interface FolderChangeResponse {
  path: string;
  /** How many files were copied, moved or deleted. */
  files: number;
}

/** One kept version of a file: what a path held before an overwrite, delete, move or restore replaced it. */
export interface VersionEntry {
  id: string; // opaque, stable
  path: string;
  size: number;
  contentHash: string;
  rev: number; // the revision this content had
  modifiedAt: number; // ms, as reported by the device that wrote it
  replacedAt: number; // ms, when it stopped being current (overwritten, deleted, moved away, restored over)
  device: string | null; // which device wrote this version ("Website", "WebDAV", a device name)
  reason: 'edit' | 'delete' | 'move' | 'restore'; // what replaced it
  executable?: boolean;
}

export interface VersionsResponse {
  path: string;
  current: FileEntry | null;
  versions: VersionEntry[];
}

export interface DeletedEntry {
  path: string;
  size: number;
  deletedAt: number;
  device: string | null;
  versionId: string;
  contentHash: string;
}

export interface DeletedResponse {
  deleted: DeletedEntry[];
  next?: string;
}

/** No versionId: the newest kept version of a deleted path. */
export interface RestoreRequest {
  path: string;
  versionId?: string;
}

/** restoredTo differs from path when the path was taken: "name (restored).ext". */
export interface RestoreResponse {
  file: FileEntry;
  restoredTo: string;
}

/** Everything deleted under the folder ('' = all). */
export interface RestoreFolderRequest {
  path: string;
}

export interface RestoreFolderResponse {
  restored: number;
  files: RestoreResponse[];
}

/** GET /healthz of a data server. `diskNearlyFull`: the router places no new users here. */
export interface DataHealth {
  status: 'ok';
  serverId: number;
  diskNearlyFull?: boolean;
  freeBytes?: number;
}

/** Where the website opens a share link, on the one public address: `${address}${SHARE_LINK_PATH}${token}`. */
export const SHARE_LINK_PATH = '/s/';

/** A read-only link to a file or folder (its token is shown once, when it is made). */
export interface ShareLinkInfo {
  id: number;
  path: string;
  kind: 'file' | 'folder';
  createdAt: number;
  expiresAt: number | null;
  hasPassword: boolean;
  downloads: number;
}

export interface CreateShareLinkRequest {
  path: string;
  /** 1 to 365; absent: the link does not expire. */
  expiresInDays?: number;
  password?: string;
}

export interface CreateShareLinkResponse {
  link: ShareLinkInfo;
  /** SHARE_LINK_PATH + token: the client puts its server's address in front. */
  urlPath: string;
}

export interface ShareLinksResponse {
  links: ShareLinkInfo[];
}
