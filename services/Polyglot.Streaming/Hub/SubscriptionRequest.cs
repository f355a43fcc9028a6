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
}
