import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SHAPE, TTL_ATTRIBUTE } from '../../lambdas/shared/schema';

export interface IndexTableProps {
  /**
   * Refuse `DeleteTable` until someone turns this off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The index of Glacier and Support events. Keys, GSIs and projections come from the one schema
 * module that the indexer, the CLI and local mode also use, so they cannot drift apart.
 */
export class IndexTable extends Construct {
  public readonly table: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: IndexTableProps = {}) {
    super(scope, id);
    const string = dynamodb.AttributeType.STRING;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_SHAPE.partitionKey, type: string },
      sortKey: { name: TABLE_SHAPE.sortKey, type: string },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      // The AWS-managed key: encrypted at rest with no key policy for every reader to maintain.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Items without the attribute (retention "keep") are never expired.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_SHAPE.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: string },
        sortKey: { name: index.sortKey, type: string },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...TABLE_SHAPE.projectedAttributes],
      });
    }
  }
}
