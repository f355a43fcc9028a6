using System.Net;
using Polyglot.Contracts.Auth;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// A call to crud refused as unauthenticated drops the token it carried: crud's keys changed since
/// it was issued (rotated, or crud restarted with keys of its own), and kept until it expired it
/// would fail every call for up to an hour. crud's authentication answers a gRPC call without a
/// valid token with HTTP 401, which the gRPC client reports as UNAUTHENTICATED.
/// </summary>
internal sealed class RefusedTokens(ClientCredentials credentials) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && request.Headers.Authorization is { Parameter: { } token })
        {
            credentials.Refused(token);
        }
        return response;
    }
}
