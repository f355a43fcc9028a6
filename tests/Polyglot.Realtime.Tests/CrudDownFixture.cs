namespace Polyglot.Realtime.Tests;

/// <summary>
/// Events that only crud's log holds — a new realtime took over after they happened — and then
/// crud stopped: a resume from 0 needs a log that cannot be read.
/// </summary>
public sealed class CrudDownFixture : SplitFixture
{
    /// <summary>A token of a client that may subscribe to boards it is a member of, taken before crud stopped.</summary>
    public string MemberToken { get; private set; } = "";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var board = await Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Only in crud's log" });
        await RenameAsync(board, "Still only there", 1);
        await RestartStreamingAsync(meanwhile: () => Task.CompletedTask);
        // A subscriber before the outage: realtime has crud's keys, which it keeps through it.
        using (await RealtimeClient.SubscribeAsync("all", null, CancellationToken.None))
        {
        }
        MemberToken = await TokenAsync("member");
        await StopCrudAsync();
    }
}
