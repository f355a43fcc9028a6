namespace Polyglot.Crud.Tests;

/// <summary>The tests' private servers leave nothing behind: their data lasts through a restart, and goes with them.</summary>
public sealed class LocalServerTests
{
    [Fact]
    public async Task APrivateServersDataLastsThroughARestartAndIsRemovedWhenItIsDisposed()
    {
        var server = await LocalServer.StartPostgresAsync();
        var data = server.DataDirectory;
        await server.StopAsync();
        Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")), "the data is kept for a restart");
        await server.StartAsync();
        await server.KillAsync();
        Assert.True(File.Exists(Path.Combine(data, "PG_VERSION")), "the data is kept for a restart after a kill");
        await server.StartAsync();

        await server.DisposeAsync();

        Assert.False(Directory.Exists(data), $"{data} is left behind");
    }
}
