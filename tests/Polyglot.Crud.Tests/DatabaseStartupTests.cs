namespace Polyglot.Crud.Tests;

/// <summary>crud and its PostgreSQL started together, as a cluster starts them: crud waits for the database rather than exiting.</summary>
public sealed class DatabaseStartupTests
{
    [Fact]
    public async Task CrudStartedBeforeItsDatabaseWaitsForItThenMigratesAndServes()
    {
        await using var database = await LocalServer.StartPostgresAsync();
        await database.StopAsync();
        var bus = await LocalServer.RabbitMQAsync();
        await using var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            ["Database__Provider"] = nameof(DatabaseProvider.Postgres),
            ["ConnectionStrings__db"] = database.ConnectionString,
            ["ConnectionStrings__bus"] = bus.ConnectionString,
        });

        var starting = crud.StartAsync();
        await Wait.UntilAsync(async () =>
        {
            if (starting.IsFaulted)
            {
                await starting; // exited rather than waited
            }
            return crud.Output.Contains("The database does not answer yet", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "crud to find no database");
        Assert.False(starting.IsCompleted, "crud answered /alive without its database");
        await database.StartAsync();
        await starting;

        using var channel = LocalAuth.Shared.CrudChannel(crud);
        var board = await new Boards.BoardsClient(channel).CreateBoardAsync(new CreateBoardRequest { Name = "After the wait" });
        Assert.Equal(1, board.Version);
    }
}
