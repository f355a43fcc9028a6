using System.Globalization;

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
    private const string ChannelParameter = "channel";
    private const string AfterParameter = "after";
    private const string SubscriberParameter = "subscriber";
    private const string PresenceParameter = "presence";

    private static readonly string[] Parameters = [ChannelParameter, AfterParameter, SubscriberParameter, PresenceParameter];

    /// <param name="resumeHeader">A header that, when the request has it, gives the resume position instead of <c>after</c> (SSE's Last-Event-ID).</param>
    /// <param name="extraErrors">Transport-specific problems to report together with the query's.</param>
    public static async Task<(Subscription? Subscription, IResult? Refusal)> SubscribeAsync(
        HttpContext context, ChannelHub hub, SubscriberTokens tokens, Transport transport, string? resumeHeader = null,
        Dictionary<string, string[]>? extraErrors = null)
    {
        try
        {
            var user = await tokens.AuthenticateAsync(context);
            var query = context.Request.Query;
            // An empty header names no position: after= stands.
            var after = resumeHeader is not null && context.Request.Headers[resumeHeader].FirstOrDefault() is { Length: > 0 } header
                ? (resumeHeader, header)
                : (AfterParameter, (string?)query[AfterParameter]);
            var errors = Parse(query[ChannelParameter], after, query[SubscriberParameter], query[PresenceParameter], out var request);
            // Given twice, a value would be both joined ("1,2", a good subscriber id) and taken first.
            foreach (var twice in Parameters.Where(name => query[name].Count > 1))
            {
                errors[twice] = ["must be given once"];
            }
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

    /// <summary>The query's subscription, validated as the gRPC transport validates its request (<see cref="SubscriptionRequest"/>'s rules).</summary>
    /// <param name="after">The resume position and the name of the parameter or header it came in.</param>
    /// <returns>The problems by parameter name; empty when the request is valid.</returns>
    private static Dictionary<string, string[]> Parse(
        string? channel, (string Name, string? Value) after, string? subscriberId, string? presence, out SubscriptionRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!HubChannel.TryParse(channel, out var parsed))
        {
            errors[ChannelParameter] = [SubscriptionRequest.ChannelRule];
        }
        long? afterPosition = null;
        if (!string.IsNullOrEmpty(after.Value))
        {
            if (long.TryParse(after.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                afterPosition = value;
            }
            else
            {
                errors[after.Name] = [SubscriptionRequest.PositionRule];
            }
        }
        if (!SubscriptionRequest.IsValidSubscriberId(subscriberId))
        {
            errors[SubscriberParameter] = [SubscriptionRequest.SubscriberRule];
        }
        var wantsPresence = false;
        if (!string.IsNullOrEmpty(presence) && !bool.TryParse(presence, out wantsPresence))
        {
            errors[PresenceParameter] = ["must be true or false"];
        }
        request = new SubscriptionRequest(parsed ?? HubChannel.All, afterPosition, string.IsNullOrEmpty(subscriberId) ? null : subscriberId, wantsPresence);
        return errors;
    }
}
