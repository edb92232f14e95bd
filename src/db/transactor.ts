// The one way services run several repository calls atomically, without touching knex themselves.
import type { Knex } from 'knex';

export type Transactor = <T>(work: (trx: Knex.Transaction) => Promise<T>) => Promise<T>;

export function createTransactor(knex: Knex): Transactor {
  return (work) => knex.transaction(work);
}

/** The handle repositories take to join a transaction (services pass it along without using it). */
export type Transaction = Knex.Transaction;
