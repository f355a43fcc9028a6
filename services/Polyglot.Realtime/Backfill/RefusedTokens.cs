using System.Net;
using Polyglot.Contracts.Auth;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// A call to crud refused as unauthenticated (HTTP 401, or gRPC status 16) drops the token it
/// carried: crud's keys changed since it was issued (rotated, or crud restarted with keys of its
/// own), and kept until it expired it would fail every call for up to an hour.
/// </summary>
internal sealed class RefusedTokens(ClientCredentials credentials) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var refused = response.StatusCode == HttpStatusCode.Unauthorized
            || (response.Headers.TryGetValues("grpc-status", out var status) && status.FirstOrDefault() == "16");
        if (refused && request.Headers.Authorization is { Parameter: { } token })
        {
            credentials.Refused(token);
        }
        return response;
    }
}
