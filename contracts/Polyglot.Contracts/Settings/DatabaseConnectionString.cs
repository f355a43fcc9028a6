namespace Polyglot.Contracts.Settings;

/// <summary>crud's connection string <c>db</c>: the form each <see cref="DatabaseProvider"/> takes, as the refusals of a wrong one show it.</summary>
public static class DatabaseConnectionString
{
    public static string Form(DatabaseProvider provider) =>
        provider == DatabaseProvider.Postgres ? "Host=…;Database=…;Username=…;Password=…" : "Data Source=path/to/crud.db";
}
