namespace Polyglot.Contracts.Events;

/// <summary>
/// What one realtime replica tells the others, every <c>Presence:Interval</c>: for each subscriber
/// who joined or left it since it last said, the subscriptions they hold on it now (or, when
/// <see cref="Complete"/>, everyone it has). Counts rather than steps: a repeat changes nothing.
/// Sent even when nothing changed: it is also the replica's heartbeat.
/// </summary>
/// <param name="Replica">The sender, unique per process.</param>
/// <param name="Complete">Everyone the sender has is listed; anyone not listed has left it.</param>
/// <param name="Channels">Per channel, subscriber id → that subscriber's subscriptions on the sender now (0: gone).</param>
/// <param name="Heard">
/// The replicas whose complete list the sender holds. A replica not named here (new to the sender,
/// or forgotten by it after a silence) sends its complete list in its next announcement.
/// </param>
/// <param name="Part">
/// Which of <paramref name="Parts"/> this is. A list too long for one message (a complete list
/// grows with the sender's subscribers) goes in parts, published one after the other; it is
/// taken in once its last part has come, so "anyone not named is gone" covers every part.
/// </param>
/// <param name="Parts">How many messages the list takes.</param>
public sealed record ReplicaPresence(string Replica, bool Complete, IReadOnlyList<ChannelPresence> Channels, IReadOnlyList<string> Heard, int Part = 1, int Parts = 1)
{
    /// <summary>The fan-out exchange presence goes to; each replica reads it through a queue of its own that lives as long as it does.</summary>
    public const string ExchangeName = "polyglot.presence";
}

public sealed record ChannelPresence(string Channel, IReadOnlyDictionary<string, int> Subscribers);
