import { describeStorageContract } from './gcs-client-contract.ts';

describeStorageContract('memory backend', () => ({}));
