/**
 * The DynamoDB table, built entirely from `tableDefinition` (the same object the local
 * runtime uses), so keys, indexes and TTL can never drift between AWS and local.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinition, type KeyAttribute } from '#shared/store/table-definition.ts';

const attributeTypes: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

/** A `tableDefinition` key as a CDK attribute. */
function toAttribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: attributeTypes[key.type] };
}

/** Props for the table built from `tableDefinition` (a physical table name is optional). */
export interface PaletteTableProps {
  tableName?: string;
}

/** Builds the one table: on-demand, PITR on, TTL and every GSI (ALL projection) from `tableDefinition`, retained on delete. */
export function createPaletteTable(scope: Construct, id: string, props: PaletteTableProps = {}): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, id, {
    ...(props.tableName === undefined ? {} : { tableName: props.tableName }),
    partitionKey: toAttribute(tableDefinition.partitionKey),
    sortKey: toAttribute(tableDefinition.sortKey),
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
    globalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((index) => ({
      indexName: index.indexName,
      partitionKey: toAttribute(index.partitionKey),
      sortKey: toAttribute(index.sortKey),
      projectionType: dynamodb.ProjectionType.ALL,
    })),
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
