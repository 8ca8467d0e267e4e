/**
 * The CloudTrail records printed in the S3 Glacier and AWS Support guides (the documents this
 * product started from), verbatim. The shipped samples are built from them, and the tests use them
 * as the reference records.
 */
export type CloudTrailRecord = Record<string, unknown>;

const seedIdentity = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  accountId: '999999999999',
  arn: 'arn:aws:iam::999999999999:user/myUserName',
  principalId: 'A1B2C3D4E5F6G7EXAMPLE',
  type: 'IAMUser',
  userName: 'myUserName',
};
const seedAgent = 'aws-sdk-java/1.9.6 Mac_OS_X/10.9.5 Java_HotSpot(TM)_64-Bit_Server_VM/25.25-b02/1.8.0_25';

/** The four records of the S3 Glacier developer guide's CloudTrail example, verbatim. */
export function seedGlacierRecords(): CloudTrailRecord[] {
  const common = {
    awsRegion: 'us-east-1',
    eventSource: 'glacier.amazonaws.com',
    eventTime: '2014-12-10T19:05:15Z',
    eventType: 'AwsApiCall',
    eventVersion: '1.02',
    recipientAccountId: '999999999999',
    sourceIPAddress: '127.0.0.1',
    userAgent: seedAgent,
    userIdentity: seedIdentity,
  };
  return [
    {
      ...common,
      eventID: '52f8c821-002e-4549-857f-8193a15246fa',
      eventName: 'CreateVault',
      requestID: 'HJiLgvfXCY88QJAC6rRoexS9ThvI21Q1Nqukfly02hcUPPo',
      requestParameters: { accountId: '-', vaultName: 'myVaultName' },
      responseElements: { location: '/999999999999/vaults/myVaultName' },
    },
    {
      ...common,
      eventID: 'cdd33060-4758-416a-b7b9-dafd3afcec90',
      eventName: 'DeleteVault',
      requestID: 'GGdw-VfhVfLCFwAM6iVUvMQ6-fMwSqSO9FmRd0eRSa_Fc7c',
      requestParameters: { accountId: '-', vaultName: 'myVaultName' },
      responseElements: null,
    },
    {
      ...common,
      eventID: '355750b4-e8b0-46be-9676-e786b1442470',
      eventName: 'ListVaults',
      requestID: 'yPTs22ghTsWprFivb-2u30FAaDALIZP17t4jM_xL9QJQyVA',
      requestParameters: { accountId: '-' },
      responseElements: null,
    },
    {
      ...common,
      eventID: '569e830e-b075-4444-a826-aa8b0acad6c7',
      eventName: 'DescribeVault',
      requestID: 'QRt1ZdFLGn0TCm784HmKafBmcB2lVaV81UU3fsOR3PtoIiM',
      requestParameters: { accountId: '-', vaultName: 'myVaultName' },
      responseElements: null,
    },
  ];
}

/** The AWS Support user guide's CreateCase record, verbatim. */
export function seedSupportCreateCase(): CloudTrailRecord {
  return {
    eventVersion: '1.04',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDACKCEVSQ6C2EXAMPLE',
      arn: 'arn:aws:iam::111122223333:user/janedoe',
      accountId: '111122223333',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'janedoe',
      sessionContext: { attributes: { mfaAuthenticated: 'false', creationDate: '2016-04-13T17:51:37Z' } },
      invokedBy: 'signin.amazonaws.com',
    },
    eventTime: '2016-04-13T18:05:53Z',
    eventSource: 'support.amazonaws.com',
    eventName: 'CreateCase',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.15',
    userAgent: 'signin.amazonaws.com',
    requestParameters: {
      severityCode: 'low',
      categoryCode: 'other',
      language: 'en',
      serviceCode: 'support-api',
      issueType: 'technical',
    },
    responseElements: { caseId: 'case-111122223333-muen-2016-c3f2077e504940f2' },
    requestID: '58c257ef-01a2-11e6-be2a-01c031063738',
    eventID: '5aa34bfc-ad5b-4fb1-8a55-2277c86e746a',
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
}
