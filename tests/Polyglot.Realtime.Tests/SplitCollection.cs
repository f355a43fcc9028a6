namespace Polyglot.Realtime.Tests;

/// <summary>
/// The classes with a crud on the test RabbitMQ take turns: they share the test RabbitMQ, and
/// two cruds publishing at once would mix their positions on the events exchange.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SplitCollection
{
    public const string Name = "split";
}
