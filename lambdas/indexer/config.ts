/**
 * The indexer's configuration, read from the environment the construct sets. Read once at cold
 * start: a missing variable fails the first invocation loudly instead of every file quietly.
 */
import {
  type AlertRule,
  type OwnResources,
  parseRuleConfig,
  resolveRules,
  RuleConfigError,
} from '../shared/alert-rules';
import { DEFAULT_INDEXED_SOURCES, ENV } from '../shared/config';
import { ConfigError } from './errors';
import { type LogSource, normaliseKeyPrefix } from './log-source';

export interface IndexerConfig {
  readonly tableName: string;
  readonly alertTopicArn: string;
  readonly indexedSources: ReadonlySet<string>;
  /** The only bucket and key prefix the indexer reads from. */
  readonly logSource: LogSource;
  /** Days to keep events after their eventTime; undefined keeps them forever. */
  readonly retentionDays?: number;
  /** The accounts whose log files are indexed (by the account in the key); undefined: every one. */
  readonly indexedAccounts?: ReadonlySet<string>;
  /** The alert rules in force. @default DEFAULT_ALERT_RULES */
  readonly rules?: readonly AlertRule[];
  /** This deployment's own trail, bucket, key and pipeline, which the rules are scoped to. */
  readonly own?: OwnResources;
}

export function readConfig(env: Readonly<Record<string, string | undefined>> = process.env): IndexerConfig {
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (value === undefined || value === '')
      throw new ConfigError(`environment variable ${name} is required`);
    return value;
  };
  return {
    tableName: required(ENV.tableName),
    alertTopicArn: required(ENV.alertTopicArn),
    logSource: { bucket: required(ENV.logBucket), prefix: normaliseKeyPrefix(env[ENV.logKeyPrefix]) },
    ...readIndexingSettings(env),
    ...readAlertSettings(env),
  };
}

/** The alert rules (ALERT_RULES: the user's changes, JSON) and what they are scoped to (OWN_RESOURCES). */
export function readAlertSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Required<Pick<IndexerConfig, 'rules' | 'own'>> {
  try {
    const rules = resolveRules(parseRuleConfig(env[ENV.alertRules], ENV.alertRules));
    return { rules, own: parseOwnResources(env[ENV.ownResources]) };
  } catch (err) {
    if (err instanceof RuleConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

function parseOwnResources(json: string | undefined): OwnResources {
  if (json === undefined || json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigError(`${ENV.ownResources} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${ENV.ownResources} must be a JSON object`);
  const own = value as Record<string, unknown>;
  const problems = Object.entries(own).filter(([name, v]) =>
    name === 'functions'
      ? !Array.isArray(v) || !v.every((f) => typeof f === 'string')
      : name === 'retentionDays'
        ? typeof v !== 'number'
        : typeof v !== 'string',
  );
  if (problems.length > 0)
    throw new ConfigError(`${ENV.ownResources} has bad values for ${problems.map(([n]) => n).join(', ')}`);
  // Empty strings (an unset resource, in attach mode) mean unknown. The running function is one of
  // the pipeline's own, whatever its name.
  const self = process.env.AWS_LAMBDA_FUNCTION_NAME;
  const functions = [
    ...(Array.isArray(own.functions) ? (own.functions as string[]) : []),
    ...(self === undefined ? [] : [self]),
  ];
  return {
    ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== '')),
    ...(functions.length === 0 ? {} : { functions }),
  };
}

/** What to index and for how long: INDEXED_SOURCES and RETENTION_DAYS. */
export function readIndexingSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Pick<IndexerConfig, 'indexedSources' | 'retentionDays' | 'indexedAccounts'> {
  const retention = env[ENV.retentionDays]?.trim();
  let retentionDays: number | undefined;
  if (retention !== undefined && retention !== '') {
    retentionDays = Number(retention);
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
      throw new ConfigError(`${ENV.retentionDays} must be a positive number of days, got "${retention}"`);
    }
  }
  const accounts = (env[ENV.indexedAccounts] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const notAccount = accounts.find((a) => !/^\d{12}$/.test(a));
  if (notAccount !== undefined) {
    throw new ConfigError(`${ENV.indexedAccounts} must list 12-digit account ids, got "${notAccount}"`);
  }
  return {
    indexedSources: readIndexedSources(env),
    ...(retentionDays === undefined ? {} : { retentionDays }),
    ...(accounts.length === 0 ? {} : { indexedAccounts: new Set(accounts) }),
  };
}

/** The event sources to index: INDEXED_SOURCES (comma-separated), else Glacier and Support. */
export function readIndexedSources(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReadonlySet<string> {
  const sources = (env[ENV.indexedSources] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return new Set(sources.length > 0 ? sources : DEFAULT_INDEXED_SOURCES);
}
