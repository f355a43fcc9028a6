using System.Diagnostics.CodeAnalysis;
using Polyglot.Contracts;

namespace Polyglot.Streaming.Hub;

/// <summary>A channel name: <c>board:{uuid}</c> for one board's events, or <c>all</c> for every event.</summary>
public readonly record struct HubChannel(string Name)
{
    public const string BoardPrefix = "board:";
    public static readonly HubChannel All = new("all");

    public static HubChannel ForBoard(Guid boardId) => new(BoardPrefix + boardId.ToString());

    public static HubChannel ForBoard(string boardId) => new(BoardPrefix + boardId);

    /// <summary>The board's id for a board channel; null for the firehose.</summary>
    public string? BoardId => Name.StartsWith(BoardPrefix, StringComparison.Ordinal) ? Name[BoardPrefix.Length..] : null;

    /// <summary>Accepts the canonical forms only, so one channel never has two names.</summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out HubChannel? channel)
    {
        channel = null;
        if (name == All.Name)
        {
            channel = All;
        }
        else if (name is not null
            && name.StartsWith(BoardPrefix, StringComparison.Ordinal)
            && Ids.TryParse(name.AsSpan(BoardPrefix.Length), out var boardId))
        {
            channel = ForBoard(boardId);
        }
        return channel is not null;
    }

    public override string ToString() => Name;
}
