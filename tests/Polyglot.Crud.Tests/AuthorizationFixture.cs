using System.Security.Cryptography;

namespace Polyglot.Crud.Tests;

/// <summary>Every kind of caller an API meets, from a good token of each role to none at all.</summary>
public enum Caller
{
    NoToken,
    Expired,
    WrongAudience,
    WrongSignature,
    NonMember,
    Viewer,
    Editor,
    Owner,
    /// <summary>A service with every board's events (<c>events.all</c>) but not the boards API.</summary>
    EventsService,
}

public sealed record GuardedBoard(Board Board, Column Column, Card Card);

/// <summary>
/// crud with a service client per role (owner, editor, viewer, and a stranger on no board) and
/// one for realtime's scope only; real tokens for each, and the bad ones built from them.
/// </summary>
public sealed class AuthorizationFixture : SqliteCrudFixture
{
    private static readonly string[] Clients = ["owner", "editor", "viewer", "stranger", "subscriber", "events-service"];

    private readonly Dictionary<string, string> _secrets = Clients.ToDictionary(c => c, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
    private readonly Dictionary<Caller, string?> _tokens = [];

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => Clients.SelectMany((client, i) => new KeyValuePair<string, string?>[]
    {
        new($"Auth:Clients:{i}:Id", client),
        new($"Auth:Clients:{i}:Secret", _secrets[client]),
        new($"Auth:Clients:{i}:Scopes:0", client switch { "subscriber" => ApiScopes.Events, "events-service" => ApiScopes.AllEvents, _ => ApiScopes.Boards }),
    });

    public GrpcChannel Channel { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Channel = Host.CreateGrpcChannel();
        var owner = await TokenAsync("owner", ApiScopes.Boards);
        _tokens[Caller.NoToken] = null;
        _tokens[Caller.Owner] = owner;
        _tokens[Caller.Editor] = await TokenAsync("editor", ApiScopes.Boards);
        _tokens[Caller.Viewer] = await TokenAsync("viewer", ApiScopes.Boards);
        _tokens[Caller.NonMember] = await TokenAsync("stranger", ApiScopes.Boards);
        _tokens[Caller.EventsService] = await TokenAsync("events-service", ApiScopes.AllEvents);
        // A real token, for realtime: crud is not its audience.
        _tokens[Caller.WrongAudience] = await TokenAsync("subscriber", ApiScopes.Events);
        // The owner's token with another signature: as if someone without crud's key had made it.
        _tokens[Caller.WrongSignature] = ForgedTokens.WithForeignSignature(owner);
        _tokens[Caller.Expired] = ForgedTokens.Reissued(owner, DateTime.UtcNow.AddMinutes(-10), Host.Services);
    }

    /// <summary><c>authorization: Bearer …</c> for the caller; none for <see cref="Caller.NoToken"/>.</summary>
    public Metadata Headers(Caller caller) =>
        _tokens[caller] is { } token ? new Metadata { { "authorization", $"Bearer {token}" } } : [];

    public string? Token(Caller caller) => _tokens[caller];

    /// <summary>A board of the owner's with a column and a card, the editor and the viewer on it.</summary>
    public async Task<GuardedBoard> NewBoardAsync()
    {
        var owner = new CallOptions(Headers(Caller.Owner));
        var board = await new Boards.BoardsClient(Channel).CreateBoardAsync(new CreateBoardRequest { Name = "Guarded" }, owner);
        var members = new Members.MembersClient(Channel);
        await members.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = "editor", Role = Role.Editor }, owner);
        await members.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = "viewer", Role = Role.Viewer }, owner);
        var column = await new Columns.ColumnsClient(Channel).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" }, owner);
        var card = await new Cards.CardsClient(Channel).CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Secret plans" }, owner);
        return new GuardedBoard(board, column, card);
    }

    private async Task<string> TokenAsync(string client, string scope)
    {
        using var http = new HttpClient { BaseAddress = Host.HttpAddress };
        var (_, body) = await TokenEndpoint.ClientCredentialsAsync(http, client, _secrets[client], scope);
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>The owner's token again, signed with crud's own key, but expiring at <paramref name="expires"/>.</summary>
    public string OwnersTokenExpiringAt(DateTime expires) => ForgedTokens.Reissued(_tokens[Caller.Owner]!, expires, Host.Services);
}
