import { InMemoryLedger } from '../../../../functions/core/ledger/memory-ledger.ts';
import { ledgerContract } from './ledger-contract.ts';

// `atlas-restore start` and the workflow tests run on this ledger: it keeps the DynamoDB ledger's contract.
ledgerContract('in memory', () => new InMemoryLedger());
