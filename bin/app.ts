import { App } from 'aws-cdk-lib';
import { DEFAULT_STACK_NAME } from '../lambdas/shared/config';
import { optionsFromContext } from '../lib/config';
import { applyNagPacks } from '../lib/nag';
import { TrailIndexStack } from '../lib/trail-index-stack';

const app = new App();
// Context is read once, here; the constructs only see typed props. Bad options stop the synth
// with one message naming all of them.
const options = optionsFromContext((key) => app.node.tryGetContext(key));
new TrailIndexStack(app, DEFAULT_STACK_NAME, {
  ...options,
  // The account and region of the credentials, when there are any (env-agnostic otherwise): with
  // them, what a log-archive account's owner must add is printed with the exact role ARNs.
  ...(process.env.CDK_DEFAULT_ACCOUNT === undefined || process.env.CDK_DEFAULT_REGION === undefined
    ? {}
    : { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }),
  description: 'trail-index: CloudTrail audit index for Amazon S3 Glacier and AWS Support events',
});
applyNagPacks(app);
