using System.Diagnostics;

namespace Polyglot.Realtime.Tests;

/// <summary>Who subscribes to a channel, tried on every transport.</summary>
public enum Subscriber
{
    NoToken,
    Expired,
    /// <summary>The control for <see cref="Expired"/>: a member's token re-signed the same way, expiring later.</summary>
    Reissued,
    /// <summary>A real token of crud's API only: not meant for the streaming side.</summary>
    WrongAudience,
    WrongSignature,
    /// <summary>A member's token signed with crud's key, but naming another issuer than crud's address.</summary>
    WrongIssuer,
    /// <summary>May subscribe to boards (<c>events</c>), but is on none.</summary>
    NonMember,
    /// <summary>A viewer of the board, with the <c>events</c> scope.</summary>
    Member,
    /// <summary>A service with <c>events.all</c> (the local client, the board's owner too).</summary>
    Service,
}

/// <summary>How a subscriber asks: each transport, and where the text ones carry the token.</summary>
public enum Via
{
    GrpcSubscribe,
    GrpcPresence,
    WebSocketHeader,
    WebSocketQuery,
    SseHeader,
    SseQuery,
}

/// <summary>
/// The streaming side trusts crud's tokens, in both topologies: every transport × every kind of
/// subscriber × both kinds of channel, with the refusal each gets; and a member removed from a
/// board loses their open streams on every transport, and cannot resume.
/// </summary>
public abstract class SubscriberAuthorizationTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    /// <summary>(transport, subscriber, the board's channel or `all`, expected: 200 or the HTTP status of the refusal).</summary>
    public static TheoryData<Via, Subscriber, bool, int> Table()
    {
        var data = new TheoryData<Via, Subscriber, bool, int>();
        foreach (var via in Enum.GetValues<Via>())
        {
            foreach (var subscriber in Enum.GetValues<Subscriber>())
            {
                foreach (var all in new[] { false, true })
                {
                    data.Add(via, subscriber, all, subscriber switch
                    {
                        Subscriber.NoToken or Subscriber.Expired or Subscriber.WrongAudience or Subscriber.WrongSignature or Subscriber.WrongIssuer => 401,
                        Subscriber.NonMember => 403,
                        Subscriber.Member or Subscriber.Reissued => all ? 403 : 200,
                        _ => 200,
                    });
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public async Task EachTransportLetsInOnlyWhomTheChannelAllows(Via via, Subscriber subscriber, bool all, int expected)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(20));
        var board = await NewBoardWithMemberAsync(timeout.Token);
        var channel = all ? "all" : $"board:{board.Id}";
        var token = await TokenAsync(subscriber);

        var (status, detail) = await SubscribeAsync(via, channel, token, timeout.Token);

        Assert.True(expected == status, $"{via} {subscriber} on {channel}: expected {expected}, got {status} '{detail}'");
        if (subscriber == Subscriber.NonMember && !all)
        {
            // A non-member learns nothing: the same answer as for a board that does not exist.
            var missing = Guid.NewGuid().ToString();
            var (missingStatus, missingDetail) = await SubscribeAsync(via, $"board:{missing}", token, timeout.Token);
            Assert.Equal((status, detail?.Replace(board.Id, "{id}")), (missingStatus, missingDetail?.Replace(missing, "{id}")));
        }
    }

    [Fact]
    public async Task ARemovedMembersStreamsEndOnEveryTransportAndTheyCannotResume()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await NewBoardWithMemberAsync(timeout.Token);
        var channel = $"board:{board.Id}";
        var token = await fixture.TokenAsync("member");
        using var connection = MemberChannel(token);
        using var grpc = await new Contracts.Realtime.V1.Realtime.RealtimeClient(connection).SubscribeAsync(new SubscribeRequest { Channel = channel, AfterPosition = 0 }, timeout.Token);
        using var socket = await TextStreams.ConnectWebSocketAsync(fixture.StreamingHttpAddress, $"channel={channel}&after=0", token, timeout.Token);
        using var http = new HttpClient { BaseAddress = fixture.StreamingHttpAddress };
        await using var sse = await SseStream.OpenAsync(http, $"channel={channel}&after=0&access_token={token}", timeout.Token);
        // The board's creation, then the member being added: the removal is what comes next.
        var before = await Streams.ReadEventsAsync(grpc.ResponseStream, 2, timeout.Token);
        Assert.Equal("member", before[1].MemberSet.Member.Subject);
        var added = before[1].Position;
        var grpcAfter = new List<Contracts.Events.V1.IntegrationEvent>();
        var grpcEnd = Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await grpc.ResponseStream.MoveNext(timeout.Token))
            {
                grpcAfter.Add(grpc.ResponseStream.Current.Event);
            }
        });
        var socketEnd = socket.ReadUntilCloseAsync(timeout.Token);
        var sseEnd = sse.ReadToEndAsync(timeout.Token);

        var removing = Stopwatch.StartNew();
        await fixture.Members.RemoveMemberAsync(new RemoveMemberRequest { BoardId = board.Id, User = "member" }, cancellationToken: timeout.Token);

        var ended = await grpcEnd;
        Assert.Equal(StatusCode.PermissionDenied, ended.StatusCode);
        Assert.Equal("member", Assert.Single(grpcAfter).MemberRemoved.Member.Subject); // the removal itself, then the end
        Assert.Equal((WebSocketCloseStatus)4403, await socketEnd);
        var sseMessages = await sseEnd;
        var elapsed = removing.Elapsed;
        Assert.Equal("forbidden", sseMessages[^1].GetProperty("code").GetString());
        Assert.True(sseMessages[^2].GetProperty("event").TryGetProperty("memberRemoved", out _));
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"the streams ended {elapsed.TotalMilliseconds:F0} ms after the removal");

        foreach (var via in Enum.GetValues<Via>())
        {
            var (status, detail) = await SubscribeAsync(via, channel, token, timeout.Token, after: added);
            Assert.True(status == 403, $"{via}: a removed member resuming got {status} '{detail}'");
        }
    }

    [Theory]
    [InlineData(Via.GrpcSubscribe)]
    [InlineData(Via.GrpcPresence)]
    [InlineData(Via.WebSocketHeader)]
    [InlineData(Via.SseHeader)]
    public async Task WithoutATokenEvenABadRequestIs401AndSaysNothingOfWhatIsWrongInIt(Via via)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(20));

        var (status, detail) = await SubscribeAsync(via, "no-such-channel", token: null, timeout.Token, after: -1);

        Assert.Equal(401, status);
        Assert.DoesNotContain("channel", detail ?? "");
    }

    /// <summary>A channel to the streaming side whose calls carry <paramref name="token"/> (none when null).</summary>
    private Grpc.Net.Client.GrpcChannel MemberChannel(string? token) => Grpc.Net.Client.GrpcChannel.ForAddress(fixture.StreamingGrpcAddress, new()
    {
        Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
        {
            if (token is not null)
            {
                metadata.Add("authorization", $"Bearer {token}");
            }
            return Task.CompletedTask;
        })),
        UnsafeUseInsecureChannelCallCredentials = true,
    });

    /// <summary>A board of the local client's, with the member client as a viewer.</summary>
    private async Task<Board> NewBoardWithMemberAsync(CancellationToken ct)
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Members only" }, cancellationToken: ct);
        await fixture.Members.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = "member", Role = Role.Viewer }, cancellationToken: ct);
        return board;
    }

    private async Task<string?> TokenAsync(Subscriber subscriber) => subscriber switch
    {
        Subscriber.NoToken => null,
        Subscriber.Expired => ForgedTokens.Reissued(await fixture.TokenAsync("member"), DateTime.UtcNow.AddMinutes(-1), fixture.Crud.Services),
        Subscriber.Reissued => ForgedTokens.Reissued(await fixture.TokenAsync("member"), DateTime.UtcNow.AddMinutes(10), fixture.Crud.Services),
        Subscriber.WrongAudience => await fixture.TokenAsync("crud-only"),
        Subscriber.WrongSignature => ForgedTokens.WithForeignSignature(await fixture.TokenAsync("member")),
        Subscriber.WrongIssuer => ForgedTokens.Reissued(await fixture.TokenAsync("member"), DateTime.UtcNow.AddMinutes(10), fixture.Crud.Services, "http://elsewhere.example/"),
        Subscriber.NonMember => await fixture.TokenAsync("stranger"),
        Subscriber.Member => await fixture.TokenAsync("member"),
        _ => await fixture.TokenAsync(),
    };

    /// <summary>Subscribes over <paramref name="via"/>: 200 once the stream says `subscribed`, else the refusal's HTTP status (gRPC's mapped) and message.</summary>
    private async Task<(int Status, string? Detail)> SubscribeAsync(Via via, string channel, string? token, CancellationToken ct, long? after = null)
    {
        var resume = after is { } position ? $"&after={position}" : "";
        switch (via)
        {
            case Via.GrpcSubscribe or Via.GrpcPresence:
                try
                {
                    using var connection = MemberChannel(token);
                    var client = new Contracts.Realtime.V1.Realtime.RealtimeClient(connection);
                    if (via == Via.GrpcPresence)
                    {
                        await client.GetPresenceAsync(new GetPresenceRequest { Channel = channel }, cancellationToken: ct);
                    }
                    else
                    {
                        var request = new SubscribeRequest { Channel = channel };
                        if (after is { } from)
                        {
                            request.AfterPosition = from;
                        }
                        using var _ = await client.SubscribeAsync(request, ct);
                    }
                    return (200, null);
                }
                catch (RpcException ex)
                {
                    return (ex.StatusCode switch
                    {
                        StatusCode.Unauthenticated => 401,
                        StatusCode.PermissionDenied => 403,
                        _ => 500,
                    }, ex.Status.Detail);
                }
            case Via.WebSocketHeader or Via.WebSocketQuery:
                using (var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } })
                {
                    var query = $"channel={channel}{resume}";
                    if (token is not null && via == Via.WebSocketHeader)
                    {
                        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
                    }
                    else if (token is not null)
                    {
                        query += $"&access_token={token}";
                    }
                    try
                    {
                        await socket.ConnectAsync(TextStreams.WebSocketUri(fixture.StreamingHttpAddress, query), ct);
                        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(ct)).GetProperty("type").GetString());
                        return (200, null);
                    }
                    catch (WebSocketException)
                    {
                        return ((int)socket.HttpStatusCode, null); // a refused upgrade's body is not readable here
                    }
                }
            default:
                using (var http = new HttpClient { BaseAddress = fixture.StreamingHttpAddress })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse?channel={channel}{resume}" + (token is not null && via == Via.SseQuery ? $"&access_token={token}" : ""));
                    if (token is not null && via == Via.SseHeader)
                    {
                        request.Headers.Authorization = new("Bearer", token);
                    }
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return (200, null);
                    }
                    var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(ct);
                    return ((int)response.StatusCode, problem?.Detail);
                }
        }
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitSubscriberAuthorizationTests(SplitFixture fixture) : SubscriberAuthorizationTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithSubscriberAuthorizationTests(MonolithFixture fixture) : SubscriberAuthorizationTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
