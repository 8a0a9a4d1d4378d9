// How much WebDAV may keep for a person: dead properties in the central database and locks in memory.

export interface DavLimits {
  /** One dead property's value, as stored XML. */
  propertyValueBytes: number;
  /** A property's namespace and name together. */
  propertyNameBytes: number;
  propertiesPerResource: number;
  /** Every dead property of one account together (names and values). */
  propertyBytesPerAccount: number;
  /** A lock's <D:owner> content, kept in memory and sent back in every lockdiscovery. */
  lockOwnerBytes: number;
  locksPerAccount: number;
  /** Locks of all accounts in this process. */
  locksInTotal: number;
}

// Clients store short values (a colour label, an author, a timestamp); these leave them a wide margin.
export const DEFAULT_DAV_LIMITS: DavLimits = {
  propertyValueBytes: 64 * 1024,
  propertyNameBytes: 1024,
  propertiesPerResource: 100,
  propertyBytesPerAccount: 10 * 1024 * 1024,
  lockOwnerBytes: 4 * 1024,
  locksPerAccount: 100,
  locksInTotal: 10_000,
};
