import { v7 } from 'uuid';

/** Ids Herald makes are time-ordered UUIDv7, so ordering by id is ordering by creation time. */
export const newId = (): string => v7();
