using Microsoft.EntityFrameworkCore.Design;

namespace Polyglot.Crud.Data;

// Used only by `dotnet ef migrations add`: each provider's context gets its own migrations.
// The connection strings are never opened.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteBoardsDbContext>
{
    public SqliteBoardsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteBoardsDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresBoardsDbContext>
{
    public PostgresBoardsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresBoardsDbContext>().UseNpgsql("Host=design").Options);
}
