import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPackProps, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Runs the cdk-nag AwsSolutions and Serverless packs on everything under `scope`.
 *
 * cdk-nag is pinned to 2.38.x (the `Aspects`/`NagSuppressions` API) on purpose: 3.x rejects
 * acknowledgment ids containing `::` (cdklabs/cdk-nag #2351, #2359), which is how IAM4/IAM5
 * findings name the action or resource they apply to (`Action::kms:GenerateDataKey*`), so
 * acknowledgments could no longer be scoped to one finding.
 */
export function applyNagPacks(scope: IConstruct, props: NagPackProps = {}): void {
  Aspects.of(scope).add(new AwsSolutionsChecks({ verbose: true, ...props }));
  Aspects.of(scope).add(new ServerlessChecks({ verbose: true, ...props }));
}
