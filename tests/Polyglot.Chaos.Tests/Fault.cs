namespace Polyglot.Chaos.Tests;

public enum Fault
{
    /// <summary>crud SIGKILLed, started again after a moment.</summary>
    KillCrud,

    /// <summary>realtime SIGKILLed, started again after a moment.</summary>
    KillRealtime,

    /// <summary>RabbitMQ stopped cleanly and started again.</summary>
    RestartBroker,

    /// <summary>RabbitMQ's VM SIGKILLed, as a crash would end it, and started again.</summary>
    KillBroker,

    /// <summary>PostgreSQL and its backends SIGKILLed, and started again (PostgreSQL runs only).</summary>
    KillDatabase,

    /// <summary>RabbitMQ stopped, and crud SIGKILLed while it is down; crud comes back first, then RabbitMQ.</summary>
    BrokerDownAndCrudKilled,
}

/// <summary>One fault as it happened: when, what it was, and when live delivery was seen again after it.</summary>
public sealed record FaultRun(Fault Fault, DateTime Started, DateTime Restored, TimeSpan DownFor)
{
    /// <summary>From the part being back to the next event a subscriber received live; null when none came.</summary>
    public TimeSpan? DeliveryResumedAfter { get; set; }
}
