namespace Polyglot.Crud.Tests;

/// <summary>crud on a SQLite file of its own.</summary>
public class SqliteCrudFixture : CrudFixture
{
    protected override Task<(DatabaseProvider, string)> DatabaseAsync() =>
        Task.FromResult((DatabaseProvider.Sqlite, SqliteFile.NewConnectionString()));
}
