namespace Polyglot.Crud.Tests;

/// <summary>crud with its relay off: nothing is ever confirmed by the bus.</summary>
public sealed class UnpublishedCrudFixture : SqliteCrudFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Outbox:RelayEnabled", "false")];
}
