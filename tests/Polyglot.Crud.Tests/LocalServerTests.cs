namespace Polyglot.Crud.Tests;

/// <summary>The tests' private servers and SQLite files leave nothing behind: a server's data lasts through a restart, and goes with it.</summary>
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

    [Fact]
    public async Task TheSqliteFilesOfATestProcessThatHasEndedAreRemoved()
    {
        using var ended = System.Diagnostics.Process.Start("true")!;
        await ended.WaitForExitAsync();
        var leftBehind = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"polyglot-sqlite-{ended.Id}"));
        await File.WriteAllTextAsync(Path.Combine(leftBehind.FullName, "crud.db"), "");
        var ours = SqliteFile.NewConnectionString()["Data Source=".Length..];
        await File.WriteAllTextAsync(ours, "");

        SqliteFile.RemoveFoldersOfEndedProcesses();

        Assert.False(Directory.Exists(leftBehind.FullName), $"{leftBehind} is left behind");
        Assert.True(File.Exists(ours), "a running process's files were removed");
    }

    [Fact]
    public void AsRootADataFolderThePostgresUserCannotReachIsRefusedSayingWhatToDo()
    {
        Assert.SkipUnless(Environment.UserName == "root", "Only root runs PostgreSQL as another user (postgres).");
        var closed = Directory.CreateTempSubdirectory("polyglot-closed-"); // 0700, as a home folder is
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => new LocalPostgres(Path.Combine(closed.FullName, "pg"), Ports.Free()).Prepare());

            Assert.Contains($"PostgreSQL runs as the user postgres, which cannot reach {Path.Combine(closed.FullName, "pg")}", error.Message);
            Assert.Contains(AppHostSettings.DataDirectory, error.Message);
        }
        finally
        {
            closed.Delete(recursive: true);
        }
    }
}
