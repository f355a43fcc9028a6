namespace Polyglot.Realtime.Tests;

/// <summary>crud caps its event log's pages at 2 events: a backfill must read on to the head, not stop at a short page.</summary>
public sealed class SmallPagesSplitFixture : SplitFixture
{
    public const int PageCap = 2;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraCrudSettings => [new("Outbox:MaxEventLogPageSize", PageCap.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}
