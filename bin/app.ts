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
  description: 'trail-index: CloudTrail audit index for Amazon S3 Glacier and AWS Support events',
});
applyNagPacks(app);
