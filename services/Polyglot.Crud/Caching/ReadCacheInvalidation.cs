using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Polyglot.Crud.Caching;

/// <summary>
/// Invalidates the boards a transaction raised events for, once it has committed (not before: a
/// read between the invalidation and the commit would cache the old row as current). Before the
/// write's reply leaves, so a client reads its own writes on this replica.
/// </summary>
public sealed class ReadCacheInvalidation(ReadCache cache) : DbTransactionInterceptor
{
    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Invalidate(eventData);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Invalidate(eventData);
        return Task.CompletedTask;
    }

    private void Invalidate(TransactionEndEventData eventData)
    {
        if (eventData.Context is BoardsDbContext db)
        {
            foreach (var board in db.Events.TakeCommittedBoards())
            {
                cache.Invalidate(board);
            }
        }
    }
}
