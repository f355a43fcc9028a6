namespace Polyglot.Testing;

/// <summary>A SQLite database file of its own, for one host or one test.</summary>
public static class SqliteFile
{
    public static string NewConnectionString() =>
        $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-test-{Guid.NewGuid():N}.db")}";
}
