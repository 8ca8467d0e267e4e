/**
 * Lambda entry point. Reading the configuration here, at cold start, makes a missing variable fail
 * the first invocation loudly. Import `create-handler` / `deps` to build a handler without it.
 */
import { createHandler } from './create-handler';
import { defaultDeps } from './deps';

export { createHandler } from './create-handler';
export { defaultDeps } from './deps';
export { IndexingFailedError } from './errors';
export type { FileResult, NotificationSummary } from './types';

export const handler = createHandler(defaultDeps());
