using Grpc.Core.Interceptors;
using Npgsql;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// Writes that lost to a concurrent one, which a retry can win: ABORTED. A version that changed
/// between our read and our write surfaces as EF's concurrency exception (the UPDATE matched no
/// row); a write PostgreSQL rolled back to end a deadlock (say, a column deleted while a card
/// moves out of it: each holds a row the other needs) as its own error, bare or wrapped by EF.
/// A version older than the row's own is news of a commit the read cache may not have seen yet.
/// </summary>
internal sealed class ConcurrencyInterceptor(ReadCache cache) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (StaleVersionException stale)
        {
            cache.Invalidate(stale.BoardId);
            throw;
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RpcException(new Status(StatusCode.Aborted, "Changed concurrently by another request: re-read it and retry."));
        }
        catch (Exception ex) when (LostADeadlock(ex))
        {
            throw new RpcException(new Status(StatusCode.Aborted,
                "Rolled back to end a deadlock with a concurrent request: nothing was written; retry."));
        }
    }

    private static bool LostADeadlock(Exception? ex) =>
        ex is not null && (ex is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected } || LostADeadlock(ex.InnerException));
}
