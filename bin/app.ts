import { App } from 'aws-cdk-lib';
import { resolveRules } from '../lambdas/shared/alert-rules';
import { DEFAULT_STACK_NAME } from '../lambdas/shared/config';
import { AlertForwardingStack } from '../lib/alert-forwarding-stack';
import { forwardingRegions, optionsFromContext } from '../lib/config';
import { applyNagPacks } from '../lib/nag';
import { TrailIndexStack } from '../lib/trail-index-stack';

const app = new App();
// Context is read once, here; the constructs only see typed props. Bad options stop the synth
// with one message naming all of them.
const options = optionsFromContext((key) => app.node.tryGetContext(key));
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
// The account and region of the credentials, when there are any (env-agnostic otherwise): with
// them, what a log-archive account's owner must add is printed with the exact role ARNs.
const env = account === undefined || region === undefined ? undefined : { account, region };
const main = new TrailIndexStack(app, DEFAULT_STACK_NAME, {
  ...options,
  ...(env === undefined ? {} : { env }),
  description: 'trail-index: CloudTrail audit index for Amazon S3 Glacier and AWS Support events',
});
// The fast path in every other alert region: a forwarding stack each (`cdk deploy --all`).
for (const other of forwardingRegions(options, region)) {
  const forwarding = new AlertForwardingStack(app, `${DEFAULT_STACK_NAME}-Alerts-${other}`, {
    env: { ...(account === undefined ? {} : { account }), region: other },
    homeRegion: region ?? '',
    rules: resolveRules(options.alertRules),
    description: `trail-index: forward ${other}'s CloudTrail API call events to the fast path in ${region ?? ''}`,
  });
  forwarding.addDependency(main);
}
applyNagPacks(app);
