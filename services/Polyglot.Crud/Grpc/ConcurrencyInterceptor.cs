using Grpc.Core.Interceptors;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// A version that changed between our read and our write surfaces as EF's concurrency
/// exception (the UPDATE matched no row); to the client it is the same stale-version ABORTED.
/// </summary>
internal sealed class ConcurrencyInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RpcException(new Status(StatusCode.Aborted, "Changed concurrently by another request: re-read it and retry."));
        }
    }
}
