using Polyglot.Contracts.Settings;

namespace Polyglot.Crud.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>SQLite (the default: a file, zero setup) or PostgreSQL. The connection string is ConnectionStrings:db.</summary>
    [EnumDataType(typeof(DatabaseProvider))]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}

[OptionsValidator]
public sealed partial class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>;
