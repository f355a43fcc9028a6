using Polyglot.Crud.Data;

namespace Polyglot.Crud.Tests;

/// <summary>
/// Who may do what, as a table: every RPC of crud's API × every kind of caller, each on a board of
/// its own. Reading needs viewer, writing editor, deleting the board and changing members owner;
/// a non-member learns nothing (NOT_FOUND); a token that is missing, expired, not signed by crud
/// or meant for another API is UNAUTHENTICATED; the event log is for services with every board's
/// events (events.all), and a token without the API's scope is PERMISSION_DENIED. A refused call
/// writes nothing.
/// </summary>
public sealed class AuthorizationTests(AuthorizationFixture fixture) : IClassFixture<AuthorizationFixture>
{
    /// <summary>The scope each RPC needs, and the role on its board (null: none, any caller with the scope).</summary>
    private static readonly Dictionary<string, (string Scope, BoardRole? Needs, Func<Clients, GuardedBoard, CallOptions, Task> Call)> Rpcs = new()
    {
        // The event log: every board's events, for services.
        ["ListEvents"] = (ApiScopes.AllEvents, null, (c, t, o) => c.EventLog.ListEventsAsync(new() { BoardId = t.Board.Id }, o).ResponseAsync),
        ["GetHead"] = (ApiScopes.AllEvents, null, (c, t, o) => c.EventLog.GetHeadAsync(new(), o).ResponseAsync),
        ["GetMemberRole"] = (ApiScopes.AllEvents, null, (c, t, o) => c.EventLog.GetMemberRoleAsync(new() { BoardId = t.Board.Id, Subject = "viewer" }, o).ResponseAsync),
        ["CreateBoard"] = (ApiScopes.Boards, null, (c, t, o) => c.Boards.CreateBoardAsync(new() { Name = "Mine" }, o).ResponseAsync),
        ["ListBoards"] = (ApiScopes.Boards, null, (c, t, o) => c.Boards.ListBoardsAsync(new(), o).ResponseAsync),
        ["GetBoard"] = (ApiScopes.Boards, BoardRole.Viewer, (c, t, o) => c.Boards.GetBoardAsync(new() { Id = t.Board.Id }, o).ResponseAsync),
        ["UpdateBoard"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Boards.UpdateBoardAsync(new() { Id = t.Board.Id, Version = 1, Name = "Renamed" }, o).ResponseAsync),
        ["DeleteBoard"] = (ApiScopes.Boards, BoardRole.Owner, (c, t, o) => c.Boards.DeleteBoardAsync(new() { Id = t.Board.Id, Version = 1 }, o).ResponseAsync),
        ["CreateColumn"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Columns.CreateColumnAsync(new() { BoardId = t.Board.Id, Name = "Done" }, o).ResponseAsync),
        ["GetColumn"] = (ApiScopes.Boards, BoardRole.Viewer, (c, t, o) => c.Columns.GetColumnAsync(new() { Id = t.Column.Id }, o).ResponseAsync),
        ["ListColumns"] = (ApiScopes.Boards, BoardRole.Viewer, (c, t, o) => c.Columns.ListColumnsAsync(new() { BoardId = t.Board.Id }, o).ResponseAsync),
        ["UpdateColumn"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Columns.UpdateColumnAsync(new() { Id = t.Column.Id, Version = 1, Name = "Doing" }, o).ResponseAsync),
        ["DeleteColumn"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Columns.DeleteColumnAsync(new() { Id = t.Column.Id, Version = 1 }, o).ResponseAsync),
        ["CreateCard"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Cards.CreateCardAsync(new() { ColumnId = t.Column.Id, Title = "More" }, o).ResponseAsync),
        ["GetCard"] = (ApiScopes.Boards, BoardRole.Viewer, (c, t, o) => c.Cards.GetCardAsync(new() { Id = t.Card.Id }, o).ResponseAsync),
        ["ListCards"] = (ApiScopes.Boards, BoardRole.Viewer, (c, t, o) => c.Cards.ListCardsAsync(new() { ColumnId = t.Column.Id }, o).ResponseAsync),
        ["UpdateCard"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Cards.UpdateCardAsync(new() { Id = t.Card.Id, Version = 1, Title = "Public plans" }, o).ResponseAsync),
        ["MoveCard"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Cards.MoveCardAsync(new() { Id = t.Card.Id, Version = 1, ColumnId = t.Column.Id, Index = 0 }, o).ResponseAsync),
        ["DeleteCard"] = (ApiScopes.Boards, BoardRole.Editor, (c, t, o) => c.Cards.DeleteCardAsync(new() { Id = t.Card.Id, Version = 1 }, o).ResponseAsync),
        ["ListMembers"] = (ApiScopes.Boards, BoardRole.Viewer, (c, t, o) => c.Members.ListMembersAsync(new() { BoardId = t.Board.Id }, o).ResponseAsync),
        ["SetMember"] = (ApiScopes.Boards, BoardRole.Owner, (c, t, o) => c.Members.SetMemberAsync(new() { BoardId = t.Board.Id, User = "stranger", Role = Role.Viewer }, o).ResponseAsync),
        ["RemoveMember"] = (ApiScopes.Boards, BoardRole.Owner, (c, t, o) => c.Members.RemoveMemberAsync(new() { BoardId = t.Board.Id, User = "viewer" }, o).ResponseAsync),
    };

    public static TheoryData<string, Caller, StatusCode> Table()
    {
        var table = new TheoryData<string, Caller, StatusCode>();
        foreach (var (rpc, (scope, needs, _)) in Rpcs)
        {
            foreach (var caller in Enum.GetValues<Caller>())
            {
                table.Add(rpc, caller, Expected(scope, needs, caller));
            }
        }
        return table;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task EveryRpcAnswersEveryCallerAsTheRolesSay(string rpc, Caller caller, StatusCode expected)
    {
        var target = await fixture.NewBoardAsync();
        var eventsBefore = await EventsAsync();

        var status = StatusCode.OK;
        try
        {
            await Rpcs[rpc].Call(new Clients(fixture.Channel), target, new CallOptions(fixture.Headers(caller)));
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
        }

        Assert.Equal(expected, status);
        var written = await EventsAsync() - eventsBefore;
        // Reads write nothing; a write that was let through wrote its event; a refused one nothing.
        Assert.Equal(Writes(rpc) && expected == StatusCode.OK ? 1 : 0, written);
    }

    [Theory]
    [InlineData(Caller.NoToken)]
    [InlineData(Caller.Expired)]
    [InlineData(Caller.WrongAudience)]
    [InlineData(Caller.WrongSignature)]
    public async Task EveryRestRouteRefusesABadTokenWith401AndWritesNothing(Caller caller)
    {
        var (board, column, card) = await fixture.NewBoardAsync();
        using var http = new HttpClient { BaseAddress = fixture.Host.HttpAddress };
        var routes = await RestRoutes.ListAsync(http);
        var eventsBefore = await EventsAsync();

        Assert.Equal(19, routes.Count);
        foreach (var route in routes)
        {
            using var request = route.Request(route.Url(board, column, card, user: "viewer"));
            request.Headers.Authorization = fixture.Token(caller) is { } token ? new("Bearer", token) : null;
            using var response = await http.SendAsync(request);

            Assert.True(response.StatusCode == System.Net.HttpStatusCode.Unauthorized, $"{route.Method} {route.Path}: {(int)response.StatusCode}");
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }
        Assert.Equal(eventsBefore, await EventsAsync());
    }

    [Fact]
    public async Task GetMemberRoleAnswersTheRoleAsCommittedAtOnceAndNoneForAStrangerOrNoBoard()
    {
        var (board, _, _) = await fixture.NewBoardAsync();
        var eventLog = new Contracts.Events.V1.EventLog.EventLogClient(fixture.Channel);
        var service = new CallOptions(fixture.Headers(Caller.EventsService));
        async Task<Role> RoleAsync(string boardId, string subject) =>
            (await eventLog.GetMemberRoleAsync(new() { BoardId = boardId, Subject = subject }, service)).Role;
        Assert.Equal(Role.Viewer, await RoleAsync(board.Id, "viewer"));
        // Read once more through crud's API, so that a cached role would be there to be stale.
        await new Boards.BoardsClient(fixture.Channel).GetBoardAsync(new() { Id = board.Id }, new CallOptions(fixture.Headers(Caller.Viewer)));

        await new Members.MembersClient(fixture.Channel).RemoveMemberAsync(new() { BoardId = board.Id, User = "viewer" }, new CallOptions(fixture.Headers(Caller.Owner)));

        Assert.Equal(Role.Unspecified, await RoleAsync(board.Id, "viewer"));
        Assert.Equal(Role.Owner, await RoleAsync(board.Id, "owner"));
        Assert.Equal(Role.Unspecified, await RoleAsync(board.Id, "stranger"));
        Assert.Equal(Role.Unspecified, await RoleAsync(Guid.CreateVersion7().ToString(), "owner"));
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await RoleAsync("board-1", ""));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
    }

    [Fact]
    public async Task ANonMemberIsToldOfABoardExactlyWhatTheyAreToldOfNoBoard()
    {
        var (board, _, _) = await fixture.NewBoardAsync();
        var missing = Guid.CreateVersion7().ToString();
        using var http = new HttpClient { BaseAddress = fixture.Host.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Token(Caller.NonMember));

        async Task<(System.Net.HttpStatusCode, string)> GetAsync(string id)
        {
            using var response = await http.GetAsync($"/v1/boards/{id}");
            return (response.StatusCode, (await response.Content.ReadAsStringAsync()).Replace(id, "{id}"));
        }

        var (existingStatus, existingBody) = await GetAsync(board.Id);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, existingStatus);
        Assert.Equal(await GetAsync(missing), (existingStatus, existingBody));
    }

    [Fact]
    public async Task ATokenIsTakenUntilItExpiresAndNotASecondLongerThoughItsCheckIsRemembered()
    {
        var (board, _, _) = await fixture.NewBoardAsync();
        var expires = DateTime.UtcNow.AddSeconds(3);
        expires = expires.AddTicks(-(expires.Ticks % TimeSpan.TicksPerSecond)); // a token's exp is in whole seconds
        var token = new CallOptions(new Metadata { { "authorization", $"Bearer {fixture.OwnersTokenExpiringAt(expires)}" } });
        var boards = new Boards.BoardsClient(fixture.Channel);

        // Taken on every call while valid: the first checks it, the later ones reuse the check.
        await boards.GetBoardAsync(new() { Id = board.Id }, token);
        await boards.GetBoardAsync(new() { Id = board.Id }, token);
        Assert.True(DateTime.UtcNow < expires, "The calls took longer than the token lived: nothing shown.");
        RpcException? refused = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await boards.GetBoardAsync(new() { Id = board.Id }, token);
                return false;
            }
            catch (RpcException ex)
            {
                refused = ex;
                return true;
            }
        }, TimeSpan.FromSeconds(10), "the expired token to be refused");

        Assert.Equal(StatusCode.Unauthenticated, refused!.StatusCode);
        Assert.True(DateTime.UtcNow >= expires, "Refused before it expired.");
    }

    [Fact]
    public async Task MovingACardToAColumnOnABoardTheCallerIsNotOnTellsThemNothingOfIt()
    {
        var (_, _, card) = await fixture.NewBoardAsync();
        var stranger = new CallOptions(fixture.Headers(Caller.NonMember));
        var theirs = await new Boards.BoardsClient(fixture.Channel).CreateBoardAsync(new() { Name = "The stranger's" }, stranger);
        var theirColumn = await new Columns.ColumnsClient(fixture.Channel).CreateColumnAsync(new() { BoardId = theirs.Id, Name = "Theirs" }, stranger);
        var cards = new Cards.CardsClient(fixture.Channel);

        // A stale version too: the answer must not depend on anything past the column's board.
        async Task<(StatusCode, string)> MoveToAsync(string columnId)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => cards.MoveCardAsync(
                new() { Id = card.Id, Version = 99, ColumnId = columnId }, new CallOptions(fixture.Headers(Caller.Editor))).ResponseAsync);
            return (ex.StatusCode, ex.Status.Detail.Replace(columnId, "{id}"));
        }

        Assert.Equal((StatusCode.NotFound, "Column {id} not found."), await MoveToAsync(theirColumn.Id));
        Assert.Equal(await MoveToAsync(Guid.CreateVersion7().ToString()), await MoveToAsync(theirColumn.Id));
    }

    [Fact]
    public async Task ListingShowsACallerOnlyTheBoardsTheyAreOn()
    {
        var (board, _, _) = await fixture.NewBoardAsync();
        var mine = await new Boards.BoardsClient(fixture.Channel).CreateBoardAsync(new() { Name = "The stranger's" }, new CallOptions(fixture.Headers(Caller.NonMember)));

        // Every page: the other tests put these callers on many boards.
        async Task<List<string>> ListAsync(Caller caller)
        {
            var boards = new List<string>();
            var request = new ListBoardsRequest { PageSize = 100 };
            do
            {
                var page = await new Boards.BoardsClient(fixture.Channel).ListBoardsAsync(request, new CallOptions(fixture.Headers(caller)));
                boards.AddRange(page.Boards.Select(b => b.Id));
                request.PageToken = page.NextPageToken;
            }
            while (request.PageToken.Length > 0);
            return boards;
        }

        var viewers = await ListAsync(Caller.Viewer);
        var strangers = await ListAsync(Caller.NonMember);
        Assert.Contains(board.Id, viewers);
        Assert.DoesNotContain(mine.Id, viewers);
        Assert.Contains(mine.Id, strangers);
        Assert.DoesNotContain(board.Id, strangers);
        Assert.Equal(await fixture.QueryAsync(db => db.Members.CountAsync(m => m.Subject == "viewer")), viewers.Count);
    }

    [Fact]
    public async Task ABoardKeepsAnOwnerAndTheCreatorIsItsFirst()
    {
        var (board, _, _) = await fixture.NewBoardAsync();
        var members = new Members.MembersClient(fixture.Channel);
        var owner = new CallOptions(fixture.Headers(Caller.Owner));

        var listed = (await members.ListMembersAsync(new() { BoardId = board.Id }, owner)).Members;
        var demote = await Assert.ThrowsAsync<RpcException>(() => members.SetMemberAsync(new() { BoardId = board.Id, User = "owner", Role = Role.Editor }, owner).ResponseAsync);
        var leave = await Assert.ThrowsAsync<RpcException>(() => members.RemoveMemberAsync(new() { BoardId = board.Id, User = "owner" }, owner).ResponseAsync);
        await members.SetMemberAsync(new() { BoardId = board.Id, User = "editor", Role = Role.Owner }, owner);
        await members.SetMemberAsync(new() { BoardId = board.Id, User = "owner", Role = Role.Viewer }, owner);

        Assert.Equal([("owner", Role.Owner), ("editor", Role.Editor), ("viewer", Role.Viewer)], listed.Select(m => (m.User, m.Role)));
        Assert.Equal((StatusCode.FailedPrecondition, StatusCode.FailedPrecondition), (demote.StatusCode, leave.StatusCode));
        Assert.Contains("only owner", demote.Status.Detail);
        // Handed over: the former owner is a viewer now, and may no longer change members.
        var denied = await Assert.ThrowsAsync<RpcException>(() => members.SetMemberAsync(new() { BoardId = board.Id, User = "stranger", Role = Role.Viewer }, owner).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task AnOwnerRemovedJustAfterTheirRoleWasCheckedCannotAddThemselvesBack()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var members = new Members.MembersClient(fixture.Channel);
        var owner = new CallOptions(fixture.Headers(Caller.Owner), cancellationToken: timeout.Token);
        var editor = new CallOptions(fixture.Headers(Caller.Editor), cancellationToken: timeout.Token);
        Guid trying = default, raced = default;
        RpcException? refused = null;
        // The editor, made a second owner, sets themselves owner again; the first owner removes them
        // once crud has read the editor's role for it, before its transaction. EF Core looks again
        // for listeners only now and then: the hook is there through every try, and a try before
        // EF Core reports to it is not raced, so try on new boards until one is.
        using (EfCommands.Executed(command =>
        {
            var parameters = command.Parameters.Cast<System.Data.Common.DbParameter>().Select(p => p.Value).ToList();
            if (raced == default && trying != default && command.Transaction is null && parameters.Contains(trying) && parameters.Contains("editor"))
            {
                raced = trying;
                members.RemoveMember(new() { BoardId = raced.ToString(), User = "editor" }, owner);
            }
        }))
        {
            await Wait.UntilAsync(async () =>
            {
                var (board, _, _) = await fixture.NewBoardAsync();
                await members.SetMemberAsync(new() { BoardId = board.Id, User = "editor", Role = Role.Owner }, owner);
                (trying, refused) = (Guid.Parse(board.Id), null);
                try
                {
                    await members.SetMemberAsync(new() { BoardId = board.Id, User = "editor", Role = Role.Owner }, editor);
                }
                catch (RpcException ex)
                {
                    refused = ex;
                }
                trying = default;
                return raced != default;
            }, TimeSpan.FromSeconds(45), "a change of members raced by its author's removal");
        }

        Assert.Equal(StatusCode.NotFound, refused?.StatusCode); // as for any non-member
        Assert.False(await fixture.QueryAsync(db => db.Members.AnyAsync(m => m.BoardId == raced && m.Subject == "editor")));
    }

    [Fact]
    public async Task MembershipChangesAreIntegrationEventsOfTheBoard()
    {
        var (board, _, _) = await fixture.NewBoardAsync();
        var owner = new CallOptions(fixture.Headers(Caller.Owner));

        await new Members.MembersClient(fixture.Channel).RemoveMemberAsync(new() { BoardId = board.Id, User = "viewer" }, owner);

        var events = (await fixture.OutboxForBoardAsync(board.Id)).Select(m => Contracts.Events.V1.IntegrationEvent.Parser.ParseFrom(m.Payload)).ToList();
        Assert.Equal("owner", events[0].BoardCreated.Owner.User);
        Assert.Equal(Role.Owner, events[0].BoardCreated.Owner.Role);
        Assert.Equal([("editor", Role.Editor), ("viewer", Role.Viewer)], events.Where(e => e.MemberSet is not null).Select(e => (e.MemberSet.Member.User, e.MemberSet.Member.Role)));
        var removed = Assert.Single(events, e => e.MemberRemoved is not null).MemberRemoved.Member;
        Assert.Equal(("viewer", "viewer"), (removed.User, removed.Subject));
    }

    /// <summary>The rule the table follows.</summary>
    private static StatusCode Expected(string scope, BoardRole? needs, Caller caller) => caller switch
    {
        Caller.NoToken or Caller.Expired or Caller.WrongAudience or Caller.WrongSignature => StatusCode.Unauthenticated,
        _ when (caller == Caller.EventsService ? ApiScopes.AllEvents : ApiScopes.Boards) != scope => StatusCode.PermissionDenied,
        _ when needs is null => StatusCode.OK,
        Caller.NonMember => StatusCode.NotFound,
        _ => RoleOf(caller) >= needs ? StatusCode.OK : StatusCode.PermissionDenied,
    };

    private static bool Writes(string rpc) => !rpc.StartsWith("Get", StringComparison.Ordinal) && !rpc.StartsWith("List", StringComparison.Ordinal);

    private static BoardRole RoleOf(Caller caller) => caller switch
    {
        Caller.Viewer => BoardRole.Viewer,
        Caller.Editor => BoardRole.Editor,
        _ => BoardRole.Owner,
    };

    private Task<int> EventsAsync() => fixture.QueryAsync(db => db.Outbox.CountAsync());

    private sealed record Clients(Boards.BoardsClient Boards, Columns.ColumnsClient Columns, Cards.CardsClient Cards, Members.MembersClient Members, Contracts.Events.V1.EventLog.EventLogClient EventLog)
    {
        public Clients(global::Grpc.Net.Client.GrpcChannel channel) : this(new(channel), new(channel), new(channel), new(channel), new(channel)) { }
    }
}
