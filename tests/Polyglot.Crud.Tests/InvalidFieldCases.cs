namespace Polyglot.Crud.Tests;

/// <summary>
/// Every field of crud's API that a client can get wrong, with the wrong values a client sends:
/// each case is a call whose one bad field must be named in the INVALID_ARGUMENT it gets. The
/// other fields of each request are valid, aimed at the fixture's board, column and card.
/// </summary>
public static class InvalidFieldCases
{
    public delegate Task Call(GrpcChannel channel, CrudProcessFixture target, string value);

    private static readonly string[] BadIds = ["", "not-a-uuid", "1 OR 1=1", "{00000000-0000-0000-0000-000000000001}", "00000000-0000-0000-0000-00000000000g",
        "00000000000000000000000000000001", " 00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000001\n"];

    private static readonly string[] BadNames = ["", "   ", "\t\n", new string('n', 201), "a\0b", "\u001b[2J", "bell\a", "\u0085next line"];

    private static readonly string[] BadDescriptions = [new string('d', 2001), "nul\0", "\u001b[31mred", "\u0008backspace"];

    private static readonly string[] BadVersions = ["0", "-1", long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static readonly string[] BadPageSizes = ["-1", int.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static readonly string[] BadPageTokens = ["%%%", "Jzsgc2VsZWN0ICogZnJvbSB1c2Vycw", "YWJj", "MTI6bm90LWEtdXVpZA", "LTE6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAx"];

    private static Boards.BoardsClient BoardsOf(GrpcChannel c) => new(c);

    private static Columns.ColumnsClient ColumnsOf(GrpcChannel c) => new(c);

    private static Cards.CardsClient CardsOf(GrpcChannel c) => new(c);

    private static long Long(string value) => long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

    private static int Int(string value) => int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>(field named in the error, the call with the bad value in that field, the bad values).</summary>
    private static readonly (string Rpc, string Field, Call Call, string[] Values)[] Fields =
    [
        ("GetBoard", "id", (c, t, v) => BoardsOf(c).GetBoardAsync(new() { Id = v }).ResponseAsync, BadIds),
        ("UpdateBoard", "id", (c, t, v) => BoardsOf(c).UpdateBoardAsync(new() { Id = v, Version = 1, Name = "x" }).ResponseAsync, BadIds),
        ("DeleteBoard", "id", (c, t, v) => BoardsOf(c).DeleteBoardAsync(new() { Id = v, Version = 1 }).ResponseAsync, BadIds),
        ("CreateColumn", "board_id", (c, t, v) => ColumnsOf(c).CreateColumnAsync(new() { BoardId = v, Name = "x" }).ResponseAsync, BadIds),
        ("GetColumn", "id", (c, t, v) => ColumnsOf(c).GetColumnAsync(new() { Id = v }).ResponseAsync, BadIds),
        ("ListColumns", "board_id", (c, t, v) => ColumnsOf(c).ListColumnsAsync(new() { BoardId = v }).ResponseAsync, BadIds),
        ("UpdateColumn", "id", (c, t, v) => ColumnsOf(c).UpdateColumnAsync(new() { Id = v, Version = 1, Name = "x" }).ResponseAsync, BadIds),
        ("DeleteColumn", "id", (c, t, v) => ColumnsOf(c).DeleteColumnAsync(new() { Id = v, Version = 1 }).ResponseAsync, BadIds),
        ("CreateCard", "column_id", (c, t, v) => CardsOf(c).CreateCardAsync(new() { ColumnId = v, Title = "x" }).ResponseAsync, BadIds),
        ("GetCard", "id", (c, t, v) => CardsOf(c).GetCardAsync(new() { Id = v }).ResponseAsync, BadIds),
        ("ListCards", "column_id", (c, t, v) => CardsOf(c).ListCardsAsync(new() { ColumnId = v }).ResponseAsync, BadIds),
        ("UpdateCard", "id", (c, t, v) => CardsOf(c).UpdateCardAsync(new() { Id = v, Version = 1, Title = "x" }).ResponseAsync, BadIds),
        ("MoveCard", "id", (c, t, v) => CardsOf(c).MoveCardAsync(new() { Id = v, Version = 1, ColumnId = t.Column.Id }).ResponseAsync, BadIds),
        ("MoveCard", "column_id", (c, t, v) => CardsOf(c).MoveCardAsync(new() { Id = t.Card.Id, Version = 1, ColumnId = v }).ResponseAsync, BadIds),
        ("DeleteCard", "id", (c, t, v) => CardsOf(c).DeleteCardAsync(new() { Id = v, Version = 1 }).ResponseAsync, BadIds),
        ("ListEvents", "board_id", (c, t, v) => new EventLog.EventLogClient(c).ListEventsAsync(new() { BoardId = v }).ResponseAsync, BadIds[1..]),
        ("CreateBoard", "name", (c, t, v) => BoardsOf(c).CreateBoardAsync(new() { Name = v }).ResponseAsync, BadNames),
        ("UpdateBoard", "name", (c, t, v) => BoardsOf(c).UpdateBoardAsync(new() { Id = t.Board.Id, Version = 1, Name = v }).ResponseAsync, BadNames),
        ("CreateColumn", "name", (c, t, v) => ColumnsOf(c).CreateColumnAsync(new() { BoardId = t.Board.Id, Name = v }).ResponseAsync, BadNames),
        ("UpdateColumn", "name", (c, t, v) => ColumnsOf(c).UpdateColumnAsync(new() { Id = t.Column.Id, Version = 1, Name = v }).ResponseAsync, BadNames),
        ("CreateCard", "title", (c, t, v) => CardsOf(c).CreateCardAsync(new() { ColumnId = t.Column.Id, Title = v }).ResponseAsync, BadNames),
        ("UpdateCard", "title", (c, t, v) => CardsOf(c).UpdateCardAsync(new() { Id = t.Card.Id, Version = 1, Title = v }).ResponseAsync, BadNames),
        ("CreateBoard", "description", (c, t, v) => BoardsOf(c).CreateBoardAsync(new() { Name = "x", Description = v }).ResponseAsync, BadDescriptions),
        ("UpdateBoard", "description", (c, t, v) => BoardsOf(c).UpdateBoardAsync(new() { Id = t.Board.Id, Version = 1, Name = "x", Description = v }).ResponseAsync, BadDescriptions),
        ("CreateCard", "description", (c, t, v) => CardsOf(c).CreateCardAsync(new() { ColumnId = t.Column.Id, Title = "x", Description = v }).ResponseAsync, BadDescriptions),
        ("UpdateCard", "description", (c, t, v) => CardsOf(c).UpdateCardAsync(new() { Id = t.Card.Id, Version = 1, Title = "x", Description = v }).ResponseAsync, BadDescriptions),
        ("UpdateBoard", "version", (c, t, v) => BoardsOf(c).UpdateBoardAsync(new() { Id = t.Board.Id, Version = Long(v), Name = "x" }).ResponseAsync, BadVersions),
        ("DeleteBoard", "version", (c, t, v) => BoardsOf(c).DeleteBoardAsync(new() { Id = t.Board.Id, Version = Long(v) }).ResponseAsync, BadVersions),
        ("UpdateColumn", "version", (c, t, v) => ColumnsOf(c).UpdateColumnAsync(new() { Id = t.Column.Id, Version = Long(v), Name = "x" }).ResponseAsync, BadVersions),
        ("DeleteColumn", "version", (c, t, v) => ColumnsOf(c).DeleteColumnAsync(new() { Id = t.Column.Id, Version = Long(v) }).ResponseAsync, BadVersions),
        ("UpdateCard", "version", (c, t, v) => CardsOf(c).UpdateCardAsync(new() { Id = t.Card.Id, Version = Long(v), Title = "x" }).ResponseAsync, BadVersions),
        ("MoveCard", "version", (c, t, v) => CardsOf(c).MoveCardAsync(new() { Id = t.Card.Id, Version = Long(v), ColumnId = t.Column.Id }).ResponseAsync, BadVersions),
        ("DeleteCard", "version", (c, t, v) => CardsOf(c).DeleteCardAsync(new() { Id = t.Card.Id, Version = Long(v) }).ResponseAsync, BadVersions),
        ("MoveCard", "index", (c, t, v) => CardsOf(c).MoveCardAsync(new() { Id = t.Card.Id, Version = 1, ColumnId = t.Column.Id, Index = Int(v) }).ResponseAsync, BadPageSizes),
        ("ListBoards", "page_size", (c, t, v) => BoardsOf(c).ListBoardsAsync(new() { PageSize = Int(v) }).ResponseAsync, BadPageSizes),
        ("ListColumns", "page_size", (c, t, v) => ColumnsOf(c).ListColumnsAsync(new() { BoardId = t.Board.Id, PageSize = Int(v) }).ResponseAsync, BadPageSizes),
        ("ListCards", "page_size", (c, t, v) => CardsOf(c).ListCardsAsync(new() { ColumnId = t.Column.Id, PageSize = Int(v) }).ResponseAsync, BadPageSizes),
        ("ListEvents", "page_size", (c, t, v) => new EventLog.EventLogClient(c).ListEventsAsync(new() { PageSize = Int(v) }).ResponseAsync, BadPageSizes),
        ("ListEvents", "after_position", (c, t, v) => new EventLog.EventLogClient(c).ListEventsAsync(new() { AfterPosition = Long(v) }).ResponseAsync, BadVersions[1..]),
        ("ListBoards", "page_token", (c, t, v) => BoardsOf(c).ListBoardsAsync(new() { PageToken = v }).ResponseAsync, BadPageTokens),
        ("ListColumns", "page_token", (c, t, v) => ColumnsOf(c).ListColumnsAsync(new() { BoardId = t.Board.Id, PageToken = v }).ResponseAsync, BadPageTokens),
        ("ListCards", "page_token", (c, t, v) => CardsOf(c).ListCardsAsync(new() { ColumnId = t.Column.Id, PageToken = v }).ResponseAsync, BadPageTokens),
    ];

    private static readonly Dictionary<string, (string Field, Call Call, string Value)> ByName = Fields
        .SelectMany(f => f.Values.Select((value, i) => (Name: $"{f.Rpc}.{f.Field} #{i + 1} {Describe(value)}", f.Field, f.Call, Value: value)))
        .ToDictionary(c => c.Name, c => (c.Field, c.Call, c.Value));

    /// <summary>The cases by name: a theory's rows must be serialisable, so they carry only the name.</summary>
    public static TheoryData<string> Names() => [.. ByName.Keys];

    public static (string Field, Call Call, string Value) Get(string name) => ByName[name];

    private static string Describe(string value) =>
        value.Length > 24 ? $"({value.Length} characters)" : $"'{string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))}'";
}
