/** Maps a rejected workflow update (ApplicationFailure with an ErrorType) to an API error. */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../workflows/shared/errors';
import { HttpError } from '../http/errors';

export function toHttpError(err: unknown): HttpError | undefined {
  const failure =
    err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
      ? err.cause
      : err instanceof ApplicationFailure
        ? err
        : undefined;
  if (!failure) return undefined;
  switch (failure.type) {
    case ErrorType.InvalidInput:
      return new HttpError('bad_request', failure.message);
    case ErrorType.NotReady:
      return new HttpError('conflict', failure.message);
    default:
      return undefined;
  }
}
