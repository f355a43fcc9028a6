namespace Polyglot.Crud.Tests;

/// <summary>
/// The same API as REST with JSON on crud's HTTP/1.1 endpoint (gRPC JSON transcoding by the
/// google.api.http rules in boards.proto): every route, and errors as google.rpc.Status JSON with
/// the same BadRequest details and the HTTP status their code maps to.
/// </summary>
public sealed class RestTests(SqliteCrudFixture fixture) : IClassFixture<SqliteCrudFixture>
{
    private readonly HttpClient _http = LocalAuth.Shared.CrudHttpClient(fixture.Host.HttpAddress);

    [Fact]
    public async Task EveryRouteFromCreateToDeleteAnswersInProto3Json()
    {
        var board = await SendAsync(HttpMethod.Post, "/v1/boards", new { name = "Over REST" });
        var boardId = board.GetProperty("id").GetString();
        Assert.Equal(1, board.GetProperty("version").GetInt64());
        Assert.Equal("Over REST", (await SendAsync(HttpMethod.Get, $"/v1/boards/{boardId}")).GetProperty("name").GetString());
        Assert.Contains((await SendAsync(HttpMethod.Get, "/v1/boards?pageSize=100")).GetProperty("boards").EnumerateArray(), b => b.GetProperty("id").GetString() == boardId);
        board = await SendAsync(HttpMethod.Patch, $"/v1/boards/{boardId}", new { version = 1, name = "Renamed", description = "over REST" });
        Assert.Equal(2, board.GetProperty("version").GetInt64());

        var column = await SendAsync(HttpMethod.Post, $"/v1/boards/{boardId}/columns", new { name = "To do" });
        var columnId = column.GetProperty("id").GetString();
        var other = (await SendAsync(HttpMethod.Post, $"/v1/boards/{boardId}/columns", new { name = "Done" })).GetProperty("id").GetString();
        Assert.Equal(boardId, (await SendAsync(HttpMethod.Get, $"/v1/columns/{columnId}")).GetProperty("boardId").GetString());
        Assert.Equal(2, (await SendAsync(HttpMethod.Get, $"/v1/boards/{boardId}/columns")).GetProperty("columns").GetArrayLength());
        Assert.Equal("Doing", (await SendAsync(HttpMethod.Patch, $"/v1/columns/{columnId}", new { version = "1", name = "Doing" }) /* an int64 in proto3 JSON's string form */).GetProperty("name").GetString());

        var card = await SendAsync(HttpMethod.Post, $"/v1/columns/{columnId}/cards", new { title = "Ship it" });
        var cardId = card.GetProperty("id").GetString();
        Assert.Equal("Ship it", (await SendAsync(HttpMethod.Get, $"/v1/cards/{cardId}")).GetProperty("title").GetString());
        Assert.Equal(1, (await SendAsync(HttpMethod.Get, $"/v1/columns/{columnId}/cards")).GetProperty("cards").GetArrayLength());
        Assert.Equal(2, (await SendAsync(HttpMethod.Patch, $"/v1/cards/{cardId}", new { version = 1, title = "Shipped" })).GetProperty("version").GetInt64());
        var moved = await SendAsync(HttpMethod.Post, $"/v1/cards/{cardId}:move", new { version = 2, columnId = other, index = 0 });
        Assert.Equal(other, moved.GetProperty("columnId").GetString());

        await SendAsync(HttpMethod.Delete, $"/v1/cards/{cardId}?version=3");
        await SendAsync(HttpMethod.Delete, $"/v1/columns/{columnId}?version=2");
        await SendAsync(HttpMethod.Delete, $"/v1/boards/{boardId}?version=2");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/v1/boards/{boardId}")).StatusCode);
        Assert.Empty(await fixture.QueryAsync(db => db.Cards.Where(c => c.Id == Guid.Parse(cardId!)).ToListAsync()));
    }

    [Fact]
    public async Task APatchThatLeavesOutTheDescriptionKeepsItAndAnEmptyOneClearsIt()
    {
        var boardId = (await SendAsync(HttpMethod.Post, "/v1/boards", new { name = "Described", description = "the board's" })).GetProperty("id").GetString();
        var columnId = (await SendAsync(HttpMethod.Post, $"/v1/boards/{boardId}/columns", new { name = "To do" })).GetProperty("id").GetString();
        var cardId = (await SendAsync(HttpMethod.Post, $"/v1/columns/{columnId}/cards", new { title = "Described", description = "the card's" })).GetProperty("id").GetString();

        var board = await SendAsync(HttpMethod.Patch, $"/v1/boards/{boardId}", new { version = 1, name = "Renamed" });
        var card = await SendAsync(HttpMethod.Patch, $"/v1/cards/{cardId}", new { version = 1, title = "Renamed" });

        Assert.Equal(("Renamed", "the board's"), (board.GetProperty("name").GetString(), Description(board)));
        Assert.Equal(("Renamed", "the card's"), (card.GetProperty("title").GetString(), Description(card)));
        Assert.Equal("", Description(await SendAsync(HttpMethod.Patch, $"/v1/boards/{boardId}", new { version = 2, name = "Renamed", description = "" })));
        Assert.Equal("", Description(await SendAsync(HttpMethod.Patch, $"/v1/cards/{cardId}", new { version = 2, title = "Renamed", description = "" })));

        // proto3 JSON leaves out an empty string.
        static string? Description(JsonElement resource) => resource.TryGetProperty("description", out var description) ? description.GetString() : "";
    }

    [Fact]
    public async Task ErrorsAreGoogleRpcStatusJsonWithTheSameDetailsAndNothingIsWritten()
    {
        var boards = await fixture.QueryAsync(db => db.Boards.CountAsync());
        var (status, error) = await ErrorAsync(HttpMethod.Post, "/v1/boards", new { name = "", description = new string('x', 2001) });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal((int)StatusCode.InvalidArgument, error.GetProperty("code").GetInt32());
        var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
        Assert.Equal("type.googleapis.com/google.rpc.BadRequest", detail.GetProperty("@type").GetString());
        Assert.Equal(["name", "description"], detail.GetProperty("fieldViolations").EnumerateArray().Select(v => v.GetProperty("field").GetString()));
        Assert.Equal(boards, await fixture.QueryAsync(db => db.Boards.CountAsync()));

        (status, error) = await ErrorAsync(HttpMethod.Get, $"/v1/cards/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal((int)StatusCode.NotFound, error.GetProperty("code").GetInt32());

        var board = await SendAsync(HttpMethod.Post, "/v1/boards", new { name = "Stale" });
        (status, error) = await ErrorAsync(HttpMethod.Patch, $"/v1/boards/{board.GetProperty("id").GetString()}", new { version = 7, name = "Too late" });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal((int)StatusCode.Aborted, error.GetProperty("code").GetInt32());
        Assert.Contains("not 7", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("POST", "/v1/boards", "{", "body", "is not JSON: ")]
    [InlineData("POST", "/v1/boards", "", "body", "is not JSON: ")]
    [InlineData("POST", "/v1/boards", "[]", "body", "must be a JSON object (CreateBoardRequest)")]
    [InlineData("POST", "/v1/boards", """{"name": 5}""", "name", "must be a string")]
    [InlineData("POST", "/v1/boards", """{"name": {"first": "x"}}""", "name", "must be a string")]
    [InlineData("POST", "/v1/boards", """{"name": "x", "bogus": 1}""", "bogus", "is not a field of CreateBoardRequest")]
    [InlineData("POST", "/v1/boards", """{"name": "x", "descriptoin": "a typo is not dropped"}""", "descriptoin", "is not a field of CreateBoardRequest")]
    [InlineData("PATCH", "/v1/boards/{board}", """{"version": "one", "name": "x"}""", "version", "must be a whole number")]
    [InlineData("PATCH", "/v1/boards/{board}", """{"version": true, "name": "x"}""", "version", "must be a whole number")]
    [InlineData("PATCH", "/v1/boards/{board}", """{"version": 1.5, "name": "x"}""", "version", "must be a whole number")]
    [InlineData("PATCH", "/v1/boards/{board}", """{"version": "2.0", "name": "x"}""", "version", "must be a whole number")]
    [InlineData("POST", "/v1/cards/{card}:move", """{"version": 1, "columnId": 7, "index": "first"}""", "column_id index", "must be a string")]
    [InlineData("POST", "/v1/cards/{card}:move", """{"version": 1, "columnId": "c", "index": 3000000000}""", "index", "must be a whole number from -2147483648 to 2147483647")]
    [InlineData("POST", "/v1/cards/{card}:move", """{"version": 1, "columnId": "c", "index": "0"}""", "index", "must be a whole number from -2147483648 to 2147483647, not a string")]
    [InlineData("POST", "/v1/cards/{card}:move?index=2", """{"version": 1, "columnId": "c"}""", "index", "goes in the JSON body, not the query")]
    [InlineData("POST", "/v1/boards?description=dropped", """{"name": "n"}""", "description", "goes in the JSON body, not the query")]
    [InlineData("PUT", "/v1/boards/{board}/members/bob", """{"role": "ROLE_ADMIN"}""", "role", "must be one of ROLE_UNSPECIFIED, ROLE_VIEWER, ROLE_EDITOR, ROLE_OWNER")]
    [InlineData("DELETE", "/v1/boards/{board}?version=abc", null, "version", "must be a whole number")]
    [InlineData("DELETE", "/v1/boards/{board}?version=1e3", null, "version", "must be a whole number")]
    [InlineData("DELETE", "/v1/boards/{board}?version=NaN", null, "version", "must be a whole number")]
    [InlineData("DELETE", "/v1/boards/{board}/members/bob?boardId={card}", null, "board_id", "is given in the path, not the query")]
    [InlineData("GET", "/v1/boards/{board}/columns?board_id={card}", null, "board_id", "is given in the path, not the query")]
    [InlineData("GET", "/v1/boards?pageSize=ten", null, "page_size", "must be a whole number")]
    [InlineData("GET", "/v1/boards?pageSize=1.5", null, "page_size", "must be a whole number")]
    [InlineData("GET", "/v1/boards?pageSize=3000000000", null, "page_size", "must be a whole number")]
    [InlineData("GET", "/v1/boards?pageToken=a&pageToken=b", null, "page_token", "must be given once")]
    [InlineData("GET", "/v1/boards?colour=red", null, "colour", "is not a field of ListBoardsRequest")]
    [InlineData("GET", "/v1/boards?pageSize.pageToken=x", null, "page_size", "has no fields: it is not a message")]
    [InlineData("POST", "/v1/cards/{card}:move", """{"version": 1, "columnId": "a", "column_id": "b"}""", "column_id", "is given more than once")]
    [InlineData("PATCH", "/v1/boards/{board}", """{"id": "another", "version": 1, "name": "x"}""", "id", "is given in the path, not the body")]
    [InlineData("POST", "/v1/boards", """{"name": "\ud800"}""", "name", "is a string that is not Unicode text")]
    [InlineData("POST", "/v1/boards", """{"\ud800": 1, "name": "x"}""", "body", "has a field name that is not Unicode text")]
    [InlineData("PATCH", "/v1/boards/{board}", """{"version": "\ud800", "name": "x"}""", "version", "must be a whole number")]
    [InlineData("PUT", "/v1/boards/{board}/members/bob", """{"role": "\ud800"}""", "role", "must be one of ROLE_UNSPECIFIED")]
    public async Task BadRequestsAreInvalidArgumentNamingEachFieldAndWriteNothing(string method, string path, string? body, string fields, string description)
    {
        var (boards, events) = await CountsAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{board}", Guid.NewGuid().ToString()).Replace("{card}", Guid.NewGuid().ToString()))
        {
            Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await _http.SendAsync(request);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((int)StatusCode.InvalidArgument, error.GetProperty("code").GetInt32());
        var violations = Assert.Single(error.GetProperty("details").EnumerateArray()).GetProperty("fieldViolations").EnumerateArray().ToList();
        Assert.Equal(fields.Split(' '), violations.Select(v => v.GetProperty("field").GetString()));
        Assert.StartsWith(description, violations[0].GetProperty("description").GetString());
        Assert.Equal((boards, events), await CountsAsync());
    }

    [Fact]
    public async Task ABodyOverTheSizeLimitIsRefusedAs413AndWritesNothing()
    {
        var (boards, events) = await CountsAsync();
        var huge = JsonSerializer.Serialize(new { name = "x", description = new string('x', 1_000_000) });

        using var response = await _http.PostAsync("/v1/boards", new StringContent(huge, System.Text.Encoding.UTF8, "application/json"));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(((int)StatusCode.ResourceExhausted, "The request body is larger than 65536 bytes."), (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()));
        Assert.Equal((boards, events), await CountsAsync());
    }

    private Task<(int Boards, int Events)> CountsAsync() =>
        fixture.QueryAsync(async db => (await db.Boards.CountAsync(), await db.Outbox.CountAsync()));

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await _http.SendAsync(Request(method, path, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, JsonElement Error)> ErrorAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await _http.SendAsync(Request(method, path, body));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body) =>
        new(method, path) { Content = body is null ? null : JsonContent.Create(body) };
}
