namespace Polyglot.Crud.Grpc;

internal static class Errors
{
    public static RpcException NotFound(string what, Guid id) => NotFound(what, id.ToString());

    public static RpcException NotFound(string what, string id) =>
        new(new Status(StatusCode.NotFound, $"{what} {id} not found."));

    /// <summary>ABORTED: the client read an older version; nothing was written.</summary>
    public static RpcException StaleVersion(string what, Guid id, long requested, long current) =>
        new(new Status(StatusCode.Aborted, $"{what} {id} is at version {current}, not {requested}: re-read it and retry."));

    public static void ExpectVersion(string what, Guid id, long requested, long current)
    {
        if (requested != current)
        {
            throw StaleVersion(what, id, requested, current);
        }
    }
}
