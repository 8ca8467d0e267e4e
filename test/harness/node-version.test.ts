/**
 * The Node the tests run on. `npm test` runs the runtime's tests twice: on the Node that runs npm,
 * and on Node 24 (test/on-node-24.mjs, which sets TRAIL_INDEX_EXPECT_NODE): this checks that the
 * second run really is on that version, and that the first is one the CLI supports.
 */
test('the tests run on the Node they are meant to', () => {
  // Prepare
  const expected = process.env.TRAIL_INDEX_EXPECT_NODE;
  const major = Number(process.versions.node.split('.')[0]);

  // Assess
  if (expected !== undefined) expect(process.versions.node).toBe(expected);
  else expect(major).toBeGreaterThanOrEqual(20);
});
