import { UsageError } from '../../cli/errors';
import { planQuery, QueryFilters } from '../../cli/query-plan';
import { keys } from '../../lambdas/shared/schema';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

function usageErrorOf(filters: QueryFilters): UsageError {
  try {
    planQuery(filters);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`planQuery(${JSON.stringify(filters)}) did not throw`);
}

describe('planQuery: the index for each filter', () => {
  test('--vault with --account and --region uses byResource on the vault key', () => {
    // Act
    const plan = planQuery({ vault: 'v1', account: ACCOUNT, region: REGION });

    // Assess
    expect(plan).toMatchObject({
      index: 'byResource',
      partitionKey: 'resourcePk',
      sortKey: 'ts',
      partitions: [keys.vault(ACCOUNT, REGION, 'v1')],
      conditions: [],
    });
  });

  test('--case uses byResource on the case key', () => {
    const plan = planQuery({ case: 'case-1' });

    expect(plan).toMatchObject({
      index: 'byResource',
      partitions: [keys.supportCase('case-1')],
      conditions: [],
    });
  });

  test('--principal uses byPrincipal', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:user/alice`;

    const plan = planQuery({ principal: arn });

    expect(plan).toMatchObject({
      index: 'byPrincipal',
      partitionKey: 'principalPk',
      partitions: [keys.principal(arn)],
    });
  });

  test('--event infers the service of a known event name, whatever its case', () => {
    const plan = planQuery({ event: 'deletevault' });

    expect(plan).toMatchObject({
      index: 'byAction',
      partitions: [keys.action('glacier.amazonaws.com', 'DeleteVault')],
    });
  });

  test('--event with --service uses that service', () => {
    const plan = planQuery({ event: 'CreateCase', service: 'support' });

    expect(plan.partitions).toEqual([keys.action('support.amazonaws.com', 'CreateCase')]);
  });

  test('an unknown --event without --service is looked up under every service', () => {
    const plan = planQuery({ event: 'BrandNewAction' });

    expect(plan.partitions).toEqual([
      keys.action('glacier.amazonaws.com', 'BrandNewAction'),
      keys.action('support.amazonaws.com', 'BrandNewAction'),
    ]);
  });

  test('--account with --region uses byLocation', () => {
    const plan = planQuery({ account: ACCOUNT, region: REGION });

    expect(plan).toMatchObject({
      index: 'byLocation',
      partitions: [keys.location(ACCOUNT, REGION)],
      conditions: [],
    });
  });

  test('--service with --account and --region filters byLocation on eventSource', () => {
    const plan = planQuery({ account: ACCOUNT, region: REGION, service: 'support' });

    expect(plan.index).toBe('byLocation');
    expect(plan.conditions).toEqual([
      { kind: 'equals', attribute: 'eventSource', value: 'support.amazonaws.com' },
    ]);
  });

  test('--errors-only adds attribute_exists(errorCode)', () => {
    const plan = planQuery({ event: 'DeleteVault', errorsOnly: true });

    expect(plan.conditions).toEqual([{ kind: 'exists', attribute: 'errorCode' }]);
  });

  test('--since/--until bound the sort key; no bounds cover all time', () => {
    const bounded = planQuery({ case: 'c', since: '2026-11-01T00:00:00Z', until: '2026-11-02T00:00:00Z' });
    const open = planQuery({ case: 'c' });

    expect(bounded.range).toEqual({ lower: '2026-11-01T00:00:00Z', upper: '2026-11-02T00:00:00Z~' });
    expect(open.range).toEqual({ lower: '0000', upper: '9999~' });
  });
});

describe('planQuery: the most selective key wins and the rest filter', () => {
  test('vault + event + principal: vault key, event and principal as filters', () => {
    const plan = planQuery({
      vault: 'v',
      account: ACCOUNT,
      region: REGION,
      event: 'DeleteVault',
      principal: 'p',
    });

    expect(plan.index).toBe('byResource');
    expect(plan.conditions).toEqual([
      { kind: 'equals', attribute: 'principal', value: 'p' },
      { kind: 'equals', attribute: 'eventName', value: 'DeleteVault' },
    ]);
  });

  test('case + account + region: case key, account and region as filters', () => {
    const plan = planQuery({ case: 'c', account: ACCOUNT, region: REGION });

    expect(plan.index).toBe('byResource');
    expect(plan.conditions).toEqual([
      { kind: 'equals', attribute: 'recipientAccountId', value: ACCOUNT },
      { kind: 'equals', attribute: 'awsRegion', value: REGION },
    ]);
  });

  test('principal + service: principal key, eventSource as a filter', () => {
    const plan = planQuery({ principal: 'p', service: 'glacier' });

    expect(plan.index).toBe('byPrincipal');
    expect(plan.conditions).toEqual([
      { kind: 'equals', attribute: 'eventSource', value: 'glacier.amazonaws.com' },
    ]);
  });

  test('event + account + region: action key (more selective than the location)', () => {
    const plan = planQuery({ event: 'DeleteVault', account: ACCOUNT, region: REGION });

    expect(plan.index).toBe('byAction');
    expect(plan.conditions).toEqual([
      { kind: 'equals', attribute: 'recipientAccountId', value: ACCOUNT },
      { kind: 'equals', attribute: 'awsRegion', value: REGION },
    ]);
  });
});

describe('planQuery: combinations no index serves', () => {
  test('--vault without --region suggests the full vault filter', () => {
    const err = usageErrorOf({ vault: 'v1', account: ACCOUNT });

    expect(err.message).toContain('--vault needs --account and --region');
    expect(err.message).toContain(`trail-index query --vault v1 --account ${ACCOUNT} --region us-east-1`);
  });

  test('--service alone suggests --account and --region', () => {
    const err = usageErrorOf({ service: 'glacier' });

    expect(err.message).toContain('--service alone');
    expect(err.message).toContain('--account 111122223333 --region us-east-1 --service glacier');
  });

  test('suggestions start with the command as the user gave it', () => {
    let message = '';
    try {
      planQuery({ service: 'support' }, { command: 'trail-index query --local --data /tmp/idx' });
    } catch (err) {
      message = err instanceof UsageError ? err.message : '';
    }

    expect(message).toContain('  trail-index query --local --data /tmp/idx --event CreateCase\n');
  });

  test('--account without --region says they go together', () => {
    const err = usageErrorOf({ account: ACCOUNT });

    expect(err.message).toContain('--account and --region select events together');
  });

  test('only --errors-only and a time range ask for a selecting filter', () => {
    const err = usageErrorOf({ errorsOnly: true, since: '2026-01-01T00:00:00Z' });

    expect(err.message).toContain('these filters need an index');
  });

  test.each<[string, QueryFilters, string]>([
    [
      'vault and case',
      { vault: 'v', case: 'c', account: ACCOUNT, region: REGION },
      'never match the same event',
    ],
    [
      'a vault of Support',
      { vault: 'v', account: ACCOUNT, region: REGION, service: 'support' },
      'Glacier resource',
    ],
    ['a case of Glacier', { case: 'c', service: 'glacier' }, 'Support resource'],
    ['a Glacier event under Support', { event: 'DeleteVault', service: 'support' }, 'is a glacier event'],
    ['a malformed account', { account: '1234', region: REGION }, 'not an AWS account id'],
  ])('%s is refused', (_name, filters, message) => {
    const err = usageErrorOf(filters);

    expect(err.message).toContain(message);
  });
});
