/**
 * Timeouts and retries, one proxy per profile (STYLE §4). Projection writes are idempotent, so
 * they retry forever; a send gives up after bounded attempts and becomes a failed message.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { ErrorType } from './errors';

export const projection = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

export const channelSend = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [ErrorType.ChannelPermanentFailure],
  },
});
