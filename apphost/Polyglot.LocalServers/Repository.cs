namespace Polyglot.LocalServers;

public static class Repository
{
    /// <summary>The folder holding Polyglot.sln, found upwards from the running assembly (bin/ sits inside the repository).</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Polyglot.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find the repository (Polyglot.sln) above " + AppContext.BaseDirectory);
    }
}
