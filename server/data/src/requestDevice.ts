// Who a request acts for, as the rows record it: the device name in a user token, or the door ("Website", "WebDAV") a router-scope call names.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<string | null>();

/** Longer names are cut: the rows hold 255 characters. */
const MAX_DEVICE_LENGTH = 255;

/** Runs `fn` (a request's handlers) with `device` as the author of every change it makes. */
export function withDevice<T>(device: string | null | undefined, fn: () => T): T {
  const clean = device?.trim().slice(0, MAX_DEVICE_LENGTH);
  return current.run(clean ? clean : null, fn);
}

/** The device the running request acts for; null outside a request (start-up, the purge) or when unknown. */
export function currentDevice(): string | null {
  return current.getStore() ?? null;
}
