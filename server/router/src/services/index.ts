// Builds the router's service layer; the router's routes and the website (in-process) both use it.
import type { Knex } from 'knex';
import type { AccessTokenSigner, Logger } from '@mydropbox/server-common';
import { createThrottle, DEFAULT_THROTTLE_POLICY, Throttle, ThrottlePolicy } from './throttle';
import { createDataServerRegistry, DataServerRegistry } from './dataServers';
import { createDeviceService, DeviceService } from './devices';
import { createAccountService, AccountService } from './accounts';
import { createAccessTokenService, AccessTokenService } from './accessTokens';
import { createLoginCodeService, LoginCodeService } from './loginCodes';
import { createFileGateway, FileGateway } from './files';
import { createDataServerClient, DataServerClient } from './dataServerClient';
import { createRevocationNotifier } from './revocations';
import { createShareLinkService, ShareLinkService } from './shareLinks';

export interface RouterServicesDeps {
  db: Knex;
  signer: AccessTokenSigner;
  log: Logger;
  /** How often data servers' /healthz is polled; default 5000 ms. */
  healthPollMs?: number;
  fetchImpl?: typeof fetch;
  /** The clock (ms since epoch); tests pass their own to step through lockouts and expiries. */
  now?: () => number;
  throttlePolicy?: ThrottlePolicy;
  /** false: no background polling (tests call dataServers.checkNow()). Default true. */
  pollHealth?: boolean;
}

export interface RouterServices {
  accounts: AccountService;
  devices: DeviceService;
  throttle: Throttle;
  dataServers: DataServerRegistry;
  accessTokens: AccessTokenService;
  loginCodes: LoginCodeService;
  files: FileGateway;
  /** The router's one client of data servers, for doors other than the website's (WebDAV). */
  dataServerClient: DataServerClient;
  shareLinks: ShareLinkService;
  /** Stops the health poller; the database stays open (its owner closes it). */
  close(): void;
}

export function createRouterServices(deps: RouterServicesDeps): RouterServices {
  const now = deps.now ?? Date.now;
  const fetchImpl = deps.fetchImpl ?? fetch;
  const { db, log, signer } = deps;
  const throttle = createThrottle(db, now, deps.throttlePolicy ?? DEFAULT_THROTTLE_POLICY);
  const revocations = createRevocationNotifier({ db, signer, fetchImpl, now, log });
  const dataServers = createDataServerRegistry({
    db,
    log,
    fetchImpl,
    now,
    healthPollMs: deps.healthPollMs ?? 5000,
    afterHealthy: (s) => revocations.sendRecent(s),
  });
  const devices = createDeviceService({ db, throttle, now, onRevoked: (ids) => revocations.announce(ids) });
  const accessTokens = createAccessTokenService({ db, signer, devices, dataServers, now });
  const dataServerClient = createDataServerClient({ accessTokens, fetchImpl, log });
  const files = createFileGateway({ dataServers: dataServerClient });
  const accounts = createAccountService({ db, log, now, throttle, devices, dataServers, removeData: (u) => files.deleteAccount(u) });
  const loginCodes = createLoginCodeService({ db, devices, dataServers, now });
  const shareLinks = createShareLinkService({ db, files, throttle, now });
  if (deps.pollHealth !== false) dataServers.start();
  return {
    accounts,
    devices,
    throttle,
    dataServers,
    accessTokens,
    loginCodes,
    files,
    dataServerClient,
    shareLinks,
    close: () => dataServers.stop(),
  };
}

export type { AccountService, ChangePasswordInput, DeleteAccountInput, SignInInput, SignUpInput } from './accounts';
export type { AuthenticatedDevice, DeviceInfo, DeviceService } from './devices';
export { MAX_DEVICES_PER_ACCOUNT } from './devices';
export type { Throttle, ThrottlePolicy, ThrottleSubject } from './throttle';
export type { DataServerInfo, DataServerRegistry, RegisterDataServer } from './dataServers';
export type { AccessTokenService } from './accessTokens';
export type { LoginCodeService } from './loginCodes';
export type { Download, FileGateway, Tree } from './files';
export { WEBSITE_DEVICE } from './files';
export { answerJson } from './dataServerClient';
export type { DataServerCall, DataServerClient } from './dataServerClient';
export { DEFAULT_THROTTLE_POLICY } from './throttle';
export { LOGIN_CODE_TTL_MS } from './loginCodes';
export { USERNAME_RULE, MIN_PASSWORD_LENGTH, normalizeUsername, normalizeEmail, checkNewPassword } from './credentials';
export { planZip, streamZip, zipName } from './zipDownload';
export type { ZipPlan } from './zipDownload';
export type { OpenedShare, ShareLink, ShareLinkService } from './shareLinks';
export { MAX_SHARE_DAYS } from './shareLinks';
export type { ShareLinkRecord } from '../stores/shareLinkStore';
