// Objection models of the central database; column names are the seed's (PascalCase), times are ms since epoch.
import { Model } from 'objection';

export class DataServerRow extends Model {
  static override tableName = 'DataServers';
  static override idColumn = 'ServerId';
  ServerId!: number;
  MaxCapacity!: number;
  IpAddr!: string;
  ListeningPort!: string;
  Available!: number | boolean;

  static override jsonSchema = {
    type: 'object',
    required: ['ServerId', 'MaxCapacity', 'IpAddr', 'ListeningPort'],
    properties: {
      ServerId: { type: 'integer', minimum: 1 },
      MaxCapacity: { type: 'integer', minimum: 0 },
      IpAddr: { type: 'string', minLength: 1, maxLength: 255 },
      ListeningPort: { type: 'string', minLength: 1, maxLength: 20 },
      Available: { type: 'boolean' },
    },
  };
}

export class UserRow extends Model {
  static override tableName = 'Users';
  static override idColumn = 'Username';
  Username!: string;
  Email!: string;
  Password!: string;
  DataServerId!: number;
  CreatedAt!: number;
}

export class DeviceRow extends Model {
  static override tableName = 'Devices';
  static override idColumn = 'Id';
  Id!: number;
  Username!: string;
  Name!: string;
  Kind!: string;
  TokenHash!: string;
  CreatedAt!: number;
  LastSeenAt!: number | null;
  RevokedAt!: number | null;
}

export class LoginAttemptRow extends Model {
  static override tableName = 'LoginAttempts';
  static override idColumn = 'ThrottleKey';
  ThrottleKey!: string;
  Failures!: number;
  WindowStartedAt!: number;
  Lockouts!: number;
  LockedUntil!: number;
  UpdatedAt!: number;
}

export class LoginCodeRow extends Model {
  static override tableName = 'LoginCodes';
  static override idColumn = 'CodeHash';
  CodeHash!: string;
  Username!: string;
  CreatedAt!: number;
  ExpiresAt!: number;
  UsedAt!: number | null;
  DeviceId!: number | null;
}

export class ShareLinkRow extends Model {
  static override tableName = 'ShareLinks';
  static override idColumn = 'Id';
  Id!: number;
  Username!: string;
  TokenHash!: string;
  Path!: string;
  Kind!: string;
  PasswordHash!: string | null;
  CreatedAt!: number;
  ExpiresAt!: number | null;
  RevokedAt!: number | null;
  Downloads!: number;
}
