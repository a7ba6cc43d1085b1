// TEMPORARY entry point on branch wt-verify-infra, so the stack can be built and tested before branch wt-verifier
// lands: replaced by its functions/ entry point when merged. Never merged as is.
import { MongoClient } from 'mongodb';

export const handler = async (): Promise<{ batchItemFailures: [] }> => {
  if (process.env.NEVER_SET_TEMPORARY_ENTRY === 'x') await new MongoClient('mongodb://127.0.0.1').close();
  return { batchItemFailures: [] };
};
