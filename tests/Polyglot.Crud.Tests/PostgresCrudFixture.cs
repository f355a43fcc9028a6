namespace Polyglot.Crud.Tests;

/// <summary>crud on a database of its own in the test PostgreSQL cluster.</summary>
public sealed class PostgresCrudFixture : CrudFixture
{
    protected override async Task<(DatabaseProvider, string)> DatabaseAsync() =>
        (DatabaseProvider.Postgres, await LocalServer.NewPostgresDatabaseAsync());
}
