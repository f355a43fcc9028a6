using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Polyglot.Crud.Data;

/// <summary>
/// Lets SQLite wait for the write lock inside the engine, which retries after 1, 2, 5, 10 … ms,
/// instead of returning SQLITE_BUSY, which Microsoft.Data.Sqlite retries only every 150 ms.
/// Without it a request that met the relay's cursor update waited 150 ms: create→event p90 was
/// 169 ms on SQLite. Set once per physical connection: the pool hands the same one out again,
/// and a statement on every open was a good part of a read's cost.
/// </summary>
internal sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    private readonly ConditionalWeakTable<sqlite3, object> _set = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsNew(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsNew(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private bool IsNew(DbConnection connection) => ((SqliteConnection)connection).Handle is { } handle && _set.TryAdd(handle, this);
}
