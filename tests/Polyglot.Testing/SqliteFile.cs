namespace Polyglot.Testing;

/// <summary>
/// A SQLite database file of its own, for one host or one test. The files of a test process go in
/// a folder of its own, which a later test process removes once that process is gone: the test
/// runner kills its test hosts without running exit handlers, so none removes its own.
/// </summary>
public static class SqliteFile
{
    private const string FolderPrefix = "polyglot-sqlite-";

    private static readonly Lazy<string> Folder = new(() =>
    {
        RemoveFoldersOfEndedProcesses();
        return Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}")).FullName;
    });

    public static string NewConnectionString() => $"Data Source={Path.Combine(Folder.Value, $"{Guid.NewGuid():N}.db")}";

    /// <summary>Removes the folders of test processes that are no longer running.</summary>
    public static void RemoveFoldersOfEndedProcesses()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), $"{FolderPrefix}*"))
        {
            if (int.TryParse(Path.GetFileName(folder)[FolderPrefix.Length..], out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                    // Another test process starting at the same time removed it first.
                }
            }
        }
    }
}
