import * as z from 'zod';

/** The request's idempotency key; its own module, so that the verification contract can use it without a cycle. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestId = z
  .string()
  .regex(REQUEST_ID_PATTERN, 'must be 1 to 128 characters among letters, digits and . _ : -');
