import { ledgerContract } from '../ledger/ledger-contract.ts';
import { InMemoryLedger } from './fakes.ts';

// The fake the workflow tests run on keeps the same contract as the DynamoDB ledger.
ledgerContract('in memory (the workflow tests’ fake)', () => new InMemoryLedger());
