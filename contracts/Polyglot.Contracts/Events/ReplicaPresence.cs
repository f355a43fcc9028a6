namespace Polyglot.Contracts.Events;

/// <summary>
/// What one realtime replica tells the others, every <c>Presence:Interval</c>: who is subscribed
/// on it, for the channels that changed since it last said (or, when <see cref="Complete"/>, for
/// every channel it has). Sent even when nothing changed: it is also the replica's heartbeat.
/// </summary>
/// <param name="Replica">The sender, unique per process.</param>
/// <param name="Complete">Every channel the sender has is listed; one not listed has nobody on it.</param>
/// <param name="Channels">Per channel, subscriber id → that subscriber's subscriptions on the sender (none: nobody any more).</param>
public sealed record ReplicaPresence(string Replica, bool Complete, IReadOnlyList<ChannelPresence> Channels)
{
    /// <summary>The fan-out exchange presence goes to; each replica reads it through a queue of its own that lives as long as it does.</summary>
    public const string ExchangeName = "polyglot.presence";
}

public sealed record ChannelPresence(string Channel, IReadOnlyDictionary<string, int> Subscribers);
