import { BATCH_SIZE, toBatches } from '../../lambdas/indexer/index-writer';
import { keys } from '../../lambdas/shared/schema';

const item = (eventID: string, extra: Record<string, unknown> = {}) => ({
  ...keys.event(eventID),
  eventID,
  ...extra,
});

test('items are grouped 25 to a batch', () => {
  // Prepare
  const items = Array.from({ length: 60 }, (_, i) => item(`e${i}`));
  // Act
  const batches = toBatches(items);
  // Assess
  expect(batches.map((b) => b.length)).toEqual([BATCH_SIZE, BATCH_SIZE, 10]);
});

test('an event repeated in the input is written once, as its last copy', () => {
  // Prepare
  const items = [item('a', { n: 1 }), item('b'), item('a', { n: 2 })];
  // Act
  const batches = toBatches(items);
  // Assess
  expect(batches).toEqual([[item('a', { n: 2 }), item('b')]]);
});

test('an event and its alert marker are different keys', () => {
  // Prepare
  const items = [item('a'), { ...keys.alertMarker('a', 'rule'), state: 'sent' }];
  // Act
  const batches = toBatches(items);
  // Assess
  expect(batches[0]).toHaveLength(2);
});
