namespace Polyglot.Crud.Data;

/// <summary>
/// The hot reads, compiled once: EF otherwise walks and hashes the query's expression tree on
/// every call. A compiled query binds to the provider it first runs with, so each provider's
/// context type has its own.
/// </summary>
public static class CompiledQueries
{
    public static Task<Card?> CardByIdAsync(this BoardsDbContext db, Guid id, CancellationToken ct) => db switch
    {
        SqliteBoardsDbContext sqlite => For<SqliteBoardsDbContext>.CardById(sqlite, id, ct),
        PostgresBoardsDbContext postgres => For<PostgresBoardsDbContext>.CardById(postgres, id, ct),
        _ => throw new NotSupportedException(db.GetType().Name),
    };

    private static class For<TContext> where TContext : BoardsDbContext
    {
        public static readonly Func<TContext, Guid, CancellationToken, Task<Card?>> CardById =
            EF.CompileAsyncQuery((TContext db, Guid id, CancellationToken _) => db.Cards.AsNoTracking().SingleOrDefault(c => c.Id == id));
    }
}
