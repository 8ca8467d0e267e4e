import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/config';
import { TrailIndexStack, type TrailIndexStackProps } from '../../lib/trail-index-stack';

/** The feature flags of `cdk.json`, so that tests see the template `cdk deploy` would. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  if (typeof cdkJson !== 'object' || cdkJson === null || !('context' in cdkJson)) return {};
  const context = cdkJson.context;
  return typeof context === 'object' && context !== null ? { ...context } : {};
}

/**
 * A stack for template assertions, with `cdk.json`'s feature flags. Bundling is skipped
 * (`aws:cdk:bundling-stacks: []`): the template does not depend on the bundle, and the offline
 * synth test bundles for real.
 */
export function buildStack(
  props: TrailIndexStackProps = {},
  configure?: (app: App) => void,
): TrailIndexStack {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  configure?.(app);
  return new TrailIndexStack(app, DEFAULT_STACK_NAME, props);
}
