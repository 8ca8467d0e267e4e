import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { type AlertRule, eventPatterns } from '../lambdas/shared/alert-rules';
import { deadLetterQueue } from './constructs/dead-letter-queue';
import { toEventPattern } from './constructs/fast-alerts';

export interface AlertForwardingStackProps extends StackProps {
  /** The region of the main stack, whose default event bus receives the forwarded events. */
  readonly homeRegion: string;
  /** The rules in force; the same patterns as the main stack's fast path. */
  readonly rules: readonly AlertRule[];
}

/**
 * One region's part of the fast path. An API call's event reaches EventBridge only in the region
 * of the call, so each alert region gets the same rules as the home region, whose only target is
 * the home region's default event bus (EventBridge's cross-Region event bus targets). Nothing else
 * is deployed here: the role may only put events on that one bus, and undeliverable events wait in
 * an encrypted queue of this region.
 */
export class AlertForwardingStack extends Stack {
  public readonly rules: events.Rule[] = [];

  public constructor(scope: Construct, id: string, props: AlertForwardingStackProps) {
    super(scope, id, props);
    const homeBusArn = `arn:${this.partition}:events:${props.homeRegion}:${this.account}:event-bus/default`;
    const bus = events.EventBus.fromEventBusArn(this, 'HomeBus', homeBusArn);
    const role = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `trail-index: forward CloudTrail API call events to ${props.homeRegion}`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [homeBusArn] }),
    );
    const undelivered = deadLetterQueue(this, 'UndeliveredEvents');
    for (const [source, pattern] of eventPatterns(props.rules)) {
      const name = source.replace(/\.amazonaws\.com$/, '');
      this.rules.push(
        new events.Rule(this, `Forward-${name}`, {
          description: `trail-index: forward ${source} API calls to ${props.homeRegion}`,
          eventPattern: toEventPattern(pattern),
          targets: [new targets.EventBus(bus, { role, deadLetterQueue: undelivered })],
        }),
      );
    }
  }
}
