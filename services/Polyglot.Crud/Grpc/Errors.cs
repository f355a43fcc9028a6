namespace Polyglot.Crud.Grpc;

internal static class Errors
{
    public static RpcException NotFound(string what, Guid id) => NotFound(what, id.ToString());

    public static RpcException NotFound(string what, string id) =>
        new(new Status(StatusCode.NotFound, $"{what} {id} not found."));

    /// <summary>ABORTED (<see cref="StaleVersionException"/>) unless the client read the row's current version.</summary>
    public static void ExpectVersion(IVersioned row, long requested)
    {
        if (requested != row.Version)
        {
            throw new StaleVersionException(row, requested);
        }
    }
}
