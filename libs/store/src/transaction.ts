import type { DataSource, EntityManager } from 'typeorm';

/** The one isolation level NDB Cluster offers; InnoDB is run the same way so tests see NDB's. */
export const ISOLATION_LEVEL = 'READ COMMITTED';

/** Thrown when a transaction is started inside another: that would need a savepoint. */
export class NestedTransactionError extends Error {
  override readonly name = 'NestedTransactionError';
}

/**
 * Runs `work` in one READ COMMITTED transaction. Transactions do not nest: TypeORM would turn an
 * inner one into a SAVEPOINT, which NDB does not support, so an inner call is refused instead.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(ISOLATION_LEVEL, (manager) => {
    const guarded = manager.queryRunner;
    if (guarded === undefined) {
      return work(manager);
    }
    const startTransaction = guarded.startTransaction.bind(guarded);
    guarded.startTransaction = async (level) => {
      if (guarded.isTransactionActive) {
        throw new NestedTransactionError(
          'a transaction was started inside another; NDB has no savepoints, so pass the manager down instead',
        );
      }
      return startTransaction(level);
    };
    return work(manager);
  });
}
