namespace Polyglot.Crud.Data;

/// <summary>A row of one board that clients change by naming the version they read (optimistic concurrency).</summary>
public interface IVersioned
{
    Guid Id { get; }
    /// <summary>The board it belongs to — a board's own id: what its events and the read cache go by.</summary>
    Guid BoardId { get; }
    long Version { get; set; }
    DateTimeOffset UpdatedAt { get; set; }
}

public sealed class Board : IVersioned
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    /// <summary>Optimistic concurrency token: starts at 1, grows by one per change.</summary>
    public long Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    Guid IVersioned.BoardId => Id;
}

/// <summary>An item kept in a dense 0-based order within its parent (a board's columns, a column's cards).</summary>
public interface IOrdered
{
    Guid Id { get; }
    int Index { get; }
}

public sealed class Column : IOrdered, IVersioned
{
    public Guid Id { get; set; }
    public Guid BoardId { get; set; }
    public required string Name { get; set; }
    /// <summary>0-based and dense within the board; kept so under the board's row lock.</summary>
    public int Index { get; set; }
    public long Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class Card : IOrdered, IVersioned
{
    public Guid Id { get; set; }
    public Guid BoardId { get; set; }
    public Guid ColumnId { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    /// <summary>0-based and dense within the column; kept so under the column's row lock.</summary>
    public int Index { get; set; }
    public long Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Ordered like the proto's Role: each may do everything the ones below it may.</summary>
public enum BoardRole
{
    Viewer = 1,
    Editor = 2,
    Owner = 3,
}

/// <summary>Someone's role on a board: a person by user id, a service by client id (the tokens' <c>sub</c>).</summary>
public sealed class BoardMember
{
    public Guid BoardId { get; set; }
    public required string Subject { get; set; }
    /// <summary>The user name or client id, as owners name members.</summary>
    public required string Name { get; set; }
    public BoardRole Role { get; set; }
}
