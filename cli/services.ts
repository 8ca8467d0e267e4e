/**
 * The services the CLI knows by short name, and their CloudTrail event names (CLOUDTRAIL.md: all
 * 33 Glacier API actions and the 16 Support actions), so that `query --event DeleteVault` needs no
 * `--service`.
 */

export type ServiceName = 'glacier' | 'support';

export const SERVICES: Readonly<
  Record<ServiceName, { readonly eventSource: string; readonly eventNames: readonly string[] }>
> = {
  glacier: {
    eventSource: 'glacier.amazonaws.com',
    eventNames: [
      'AbortMultipartUpload',
      'AbortVaultLock',
      'AddTagsToVault',
      'CompleteMultipartUpload',
      'CompleteVaultLock',
      'CreateVault',
      'DeleteArchive',
      'DeleteVault',
      'DeleteVaultAccessPolicy',
      'DeleteVaultNotifications',
      'DescribeJob',
      'DescribeVault',
      'GetDataRetrievalPolicy',
      'GetJobOutput',
      'GetVaultAccessPolicy',
      'GetVaultLock',
      'GetVaultNotifications',
      'InitiateJob',
      'InitiateMultipartUpload',
      'InitiateVaultLock',
      'ListJobs',
      'ListMultipartUploads',
      'ListParts',
      'ListProvisionedCapacity',
      'ListTagsForVault',
      'ListVaults',
      'PurchaseProvisionedCapacity',
      'RemoveTagsFromVault',
      'SetDataRetrievalPolicy',
      'SetVaultAccessPolicy',
      'SetVaultNotifications',
      'UploadArchive',
      'UploadMultipartPart',
    ],
  },
  support: {
    eventSource: 'support.amazonaws.com',
    eventNames: [
      'AddAttachmentsToSet',
      'AddCommunicationToCase',
      'CreateCase',
      'DescribeAttachment',
      'DescribeCases',
      'DescribeCommunications',
      'DescribeCreateCaseOptions',
      'DescribeServices',
      'DescribeSeverityLevels',
      'DescribeSupportedLanguages',
      'DescribeTrustedAdvisorCheckRefreshStatuses',
      'DescribeTrustedAdvisorCheckResult',
      'DescribeTrustedAdvisorCheckSummaries',
      'DescribeTrustedAdvisorChecks',
      'RefreshTrustedAdvisorCheck',
      'ResolveCase',
    ],
  },
};

export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** The known service and canonical spelling of an event name, matched case-insensitively. */
export function lookupEventName(eventName: string): { service: ServiceName; eventName: string } | undefined {
  const wanted = eventName.toLowerCase();
  for (const service of SERVICE_NAMES) {
    const found = SERVICES[service].eventNames.find((name) => name.toLowerCase() === wanted);
    if (found !== undefined) return { service, eventName: found };
  }
  return undefined;
}

/** `glacier` for `glacier.amazonaws.com`; other sources lose only their `.amazonaws.com`. */
export function shortServiceName(eventSource: string): string {
  return eventSource.replace(/\.amazonaws\.com$/, '');
}
