
namespace Polyglot.Crud.Tests;

/// <summary>crud on a SQLite file of its own.</summary>
public class SqliteCrudFixture : CrudFixture
{
    protected override Task<(DatabaseProvider, string)> DatabaseAsync() =>
        Task.FromResult((DatabaseProvider.Sqlite, $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-test-{Guid.NewGuid():N}.db")}"));
}
