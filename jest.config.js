/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Comparisons with the AWS CLI need it installed: \`npm run test:awscli\` (run by CI), not \`npm test\`.
  testPathIgnorePatterns: process.env.TRAIL_INDEX_AWSCLI === '1' ? [] : ['/test/awscli/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  // One fauxqs + DynamoDB for the run (dynalite, or DynamoDB Local with
  // TRAIL_INDEX_TEST_DYNAMODB=dynamodb-local); tests that need none ignore it.
  globalSetup: '<rootDir>/test/harness/global-setup.mjs',
  globalTeardown: '<rootDir>/test/harness/global-teardown.mjs',
  testTimeout: 60000,
};
