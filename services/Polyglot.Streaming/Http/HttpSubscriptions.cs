using Polyglot.Streaming.Hub;

namespace Polyglot.Streaming.Http;

/// <summary>
/// What the two HTTP transports (WebSocket, SSE) share: the query parameters
/// <c>channel</c>, <c>after</c>, <c>subscriber</c> and <c>presence</c>, and refusals as problem
/// details: 400 naming the bad parameters, 503 while the server starts or shuts down.
/// </summary>
internal static class HttpSubscriptions
{
    /// <param name="after">The resume position, from wherever the transport takes it.</param>
    /// <param name="extraErrors">Transport-specific problems to report together with the query's.</param>
    public static (Subscription? Subscription, IResult? Refusal) Subscribe(
        HttpContext context, ChannelHub hub, string? after, Dictionary<string, string[]>? extraErrors = null)
    {
        var query = context.Request.Query;
        var errors = SubscriptionRequest.TryParse(query["channel"], after, query["subscriber"], query["presence"], out var request);
        foreach (var (field, problems) in extraErrors ?? [])
        {
            errors[field] = problems;
        }
        if (errors.Count > 0)
        {
            return (null, TypedResults.ValidationProblem(errors));
        }
        try
        {
            return (hub.Subscribe(request), null);
        }
        catch (HubUnavailableException ex)
        {
            return (null, TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable));
        }
    }
}
