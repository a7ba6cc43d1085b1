/**
 * SQS's own rules, as the service enforces them, for the local stand-ins that do not (fauxqs takes any DelaySeconds).
 * Kept apart from functions/core on purpose: the model must not follow our code if our code drifts.
 */

/** SQS refuses a message delay above 15 minutes (DelaySeconds 0 to 900). */
export const SQS_MAX_DELAY_SECONDS = 900;

export class SqsInvalidParameterError extends Error {
  readonly code = 'InvalidParameterValue';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidParameterValue';
  }
}

/** Throws what SQS answers to a SendMessage whose DelaySeconds is not a whole number of seconds from 0 to 900. */
export function checkDelaySeconds(delaySeconds: number): void {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > SQS_MAX_DELAY_SECONDS) {
    throw new SqsInvalidParameterError(
      `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: must be between 0 and ${SQS_MAX_DELAY_SECONDS}, if provided.`,
    );
  }
}
