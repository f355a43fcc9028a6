using V1 = Polyglot.Contracts.Boards.V1;

namespace Polyglot.Crud.Grpc;

internal static class Mapping
{
    public static V1.Board ToProto(this Board board) => new()
    {
        Id = board.Id.ToString(),
        Name = board.Name,
        Description = board.Description,
        Version = board.Version,
        CreatedAt = Timestamp.FromDateTimeOffset(board.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(board.UpdatedAt),
    };

    public static V1.Column ToProto(this Column column) => new()
    {
        Id = column.Id.ToString(),
        BoardId = column.BoardId.ToString(),
        Name = column.Name,
        Index = column.Index,
        Version = column.Version,
        CreatedAt = Timestamp.FromDateTimeOffset(column.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(column.UpdatedAt),
    };

    public static V1.Card ToProto(this Card card) => new()
    {
        Id = card.Id.ToString(),
        BoardId = card.BoardId.ToString(),
        ColumnId = card.ColumnId.ToString(),
        Title = card.Title,
        Description = card.Description,
        Index = card.Index,
        Version = card.Version,
        CreatedAt = Timestamp.FromDateTimeOffset(card.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(card.UpdatedAt),
    };

    public static V1.Member ToProto(this BoardMember member) => new()
    {
        BoardId = member.BoardId.ToString(),
        User = member.Name,
        Role = (V1.Role)member.Role,
        Subject = member.Subject,
    };
}
