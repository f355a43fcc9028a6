namespace Polyglot.Realtime.Hub;

/// <summary>
/// What every transport asks for: a channel, and optionally the position to resume after.
/// Parsed once here so the transports reject the same inputs with the same words.
/// </summary>
public readonly record struct SubscriptionRequest(HubChannel Channel, long? AfterPosition)
{
    public const string ChannelRule = "must be \"all\" or \"board:{board id}\"";
    public const string PositionRule = "must be a whole number, 0 or more";

    /// <returns>The problems by field name; empty when the request is valid.</returns>
    public static Dictionary<string, string[]> TryParse(string? channel, string? afterPosition, out SubscriptionRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!HubChannel.TryParse(channel, out var parsed))
        {
            errors["channel"] = [ChannelRule];
        }
        long? after = null;
        if (!string.IsNullOrEmpty(afterPosition))
        {
            if (long.TryParse(afterPosition, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                after = value;
            }
            else
            {
                errors["after"] = [PositionRule];
            }
        }
        request = new SubscriptionRequest(parsed ?? HubChannel.All, after);
        return errors;
    }
}
