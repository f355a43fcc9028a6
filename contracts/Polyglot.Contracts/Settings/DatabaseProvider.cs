namespace Polyglot.Contracts.Settings;

/// <summary>crud's database (its setting <c>Database:Provider</c>; the app host's <c>Polyglot:Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>A file, zero setup: the default.</summary>
    Sqlite,
    Postgres,
}
