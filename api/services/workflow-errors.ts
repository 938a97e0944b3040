/**
 * Maps a rejected workflow update (ApplicationFailure with an ErrorType) to an API error, and a
 * signal or update sent to a workflow that is no longer running to a conflict.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../workflows/shared/errors';
import { HttpError } from '../http/errors';

export function toHttpError(err: unknown): HttpError | undefined {
  // A resolved conversation that idled out completed its run; the customer's next message starts a new one.
  if (err instanceof WorkflowNotFoundError) {
    return new HttpError('conflict', 'This conversation is closed; it reopens when the customer writes again');
  }
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
    case ErrorType.AlreadyOwned:
      // The workflow's wording is for logs; people read this one.
      return new HttpError('conflict', 'Someone else already claimed this conversation');
    case ErrorType.ConversationResolved:
      return new HttpError('conflict', 'This conversation is resolved; reopen it first');
    case ErrorType.ReplyWindowClosed:
      // Written for the agent: when the window closed and what to send instead.
      return new HttpError('conflict', failure.message);
    default:
      return undefined;
  }
}
