namespace Polyglot.Crud.Grpc;

/// <summary>
/// ABORTED: the client read an older version of the row; nothing was written. It names the row's
/// board because it is news of a commit this replica's read cache may not have seen yet (another
/// replica made it): <see cref="ConcurrencyInterceptor"/> drops the board from the cache, so the
/// re-read the message asks for does not return the same old row.
/// </summary>
internal sealed class StaleVersionException(IVersioned row, long requested) : RpcException(new Status(StatusCode.Aborted,
    $"{row.GetType().Name} {row.Id} is at version {row.Version}, not {requested}: re-read it and retry."))
{
    public Guid BoardId { get; } = row.BoardId;
}
