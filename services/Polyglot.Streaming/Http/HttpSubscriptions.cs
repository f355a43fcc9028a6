using Polyglot.Streaming.Hub;

namespace Polyglot.Streaming.Http;

/// <summary>
/// What the two HTTP transports (WebSocket, SSE) share: the query parameters
/// <c>channel</c>, <c>after</c>, <c>subscriber</c> and <c>presence</c>, and refusals as problem
/// details with the status of their <see cref="Endings"/>: 400 naming the bad parameters, 503 while
/// the server starts or shuts down.
/// </summary>
internal static class HttpSubscriptions
{
    /// <param name="after">The resume position, from wherever the transport takes it, and that parameter's or header's name.</param>
    /// <param name="extraErrors">Transport-specific problems to report together with the query's.</param>
    public static (Subscription? Subscription, IResult? Refusal) Subscribe(
        HttpContext context, ChannelHub hub, Transport transport, (string Name, string? Value) after, Dictionary<string, string[]>? extraErrors = null)
    {
        var query = context.Request.Query;
        var errors = SubscriptionRequest.TryParse(query["channel"], after, query["subscriber"], query["presence"], out var request);
        foreach (var (field, problems) in extraErrors ?? [])
        {
            errors[field] = problems;
        }
        if (errors.Count > 0)
        {
            var badRequest = Endings.Of(EndReason.BadRequest);
            return (null, TypedResults.Problem(new HttpValidationProblemDetails(errors) { Status = badRequest.Http, Title = badRequest.Code }));
        }
        try
        {
            return (hub.Subscribe(request with { Transport = transport }), null);
        }
        catch (SubscriptionEndedException ex)
        {
            return (null, TypedResults.Problem(ex.Message, title: ex.Ending.Code, statusCode: ex.Ending.Http));
        }
    }
}
