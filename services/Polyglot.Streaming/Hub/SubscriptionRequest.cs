using System.Globalization;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// What every transport asks for: a channel, optionally the position to resume after, who
/// subscribes, and whether to see presence changes; and which transport it is. Validated here so that the transports
/// refuse the same inputs with the same words.
/// </summary>
/// <param name="Member">
/// The board member (the token's subject) it subscribes as, whose removal from the board ends it;
/// null for a service, which may read every channel.
/// </param>
public readonly record struct SubscriptionRequest(
    HubChannel Channel, long? AfterPosition = null, string? SubscriberId = null, bool Presence = false, Transport Transport = Transport.Grpc, string? Member = null)
{
    public const string ChannelRule = "must be \"all\" or \"board:{board id}\"";
    public const string PositionRule = "must be a whole number, 0 or more";
    public const string SubscriberRule = "must be at most 128 printable characters";

    public static bool IsValidSubscriberId(string? subscriberId) =>
        subscriberId is null || (subscriberId.Length <= 128 && !subscriberId.Any(char.IsControl));

    /// <summary>Parses the text transports' query parameters.</summary>
    /// <param name="after">The resume position and the name of the parameter or header it came in.</param>
    /// <returns>The problems by parameter name; empty when the request is valid.</returns>
    public static Dictionary<string, string[]> TryParse(
        string? channel, (string Name, string? Value) after, string? subscriberId, string? presence, out SubscriptionRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!HubChannel.TryParse(channel, out var parsed))
        {
            errors["channel"] = [ChannelRule];
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
                errors[after.Name] = [PositionRule];
            }
        }
        if (!IsValidSubscriberId(subscriberId))
        {
            errors["subscriber"] = [SubscriberRule];
        }
        var wantsPresence = false;
        if (!string.IsNullOrEmpty(presence) && !bool.TryParse(presence, out wantsPresence))
        {
            errors["presence"] = ["must be true or false"];
        }
        request = new SubscriptionRequest(parsed ?? HubChannel.All, afterPosition, string.IsNullOrEmpty(subscriberId) ? null : subscriberId, wantsPresence);
        return errors;
    }
}
