namespace Polyglot.Streaming.Http;

/// <summary>
/// What the two HTTP transports (WebSocket, SSE) share: the query parameters
/// <c>channel</c>, <c>after</c>, <c>subscriber</c>, <c>presence</c> and <c>access_token</c>, and
/// refusals as problem details with the status of their <see cref="Endings"/>: 401 without a valid
/// token (whatever else the request says), 400 naming the bad parameters, 403 for a channel the
/// token does not allow, 503 while the server starts or shuts down.
/// </summary>
internal static class HttpSubscriptions
{
    /// <param name="after">The resume position, from wherever the transport takes it, and that parameter's or header's name.</param>
    /// <param name="extraErrors">Transport-specific problems to report together with the query's.</param>
    public static async Task<(Subscription? Subscription, IResult? Refusal)> SubscribeAsync(
        HttpContext context, ChannelHub hub, SubscriberTokens tokens, Transport transport, (string Name, string? Value) after,
        Dictionary<string, string[]>? extraErrors = null)
    {
        try
        {
            var user = await tokens.AuthenticateAsync(context);
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
            var member = await tokens.AuthorizeAsync(user, request.Channel, context.RequestAborted);
            return (hub.Subscribe(request with { Transport = transport, Member = member }), null);
        }
        catch (SubscriptionEndedException ex)
        {
            return (null, TypedResults.Problem(ex.Message, title: ex.Ending.Code, statusCode: ex.Ending.Http));
        }
    }
}
