using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Polyglot.Contracts.Auth;
using Polyglot.Crud.Data;
using Polyglot.Realtime.Bus;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// crud restarted with other signing keys (rotated, or made up at each start as in Development)
/// while realtime runs: the token realtime keeps for crud is refused from then on, and the
/// subscribers' tokens signed with the new key are taken from the first.
/// </summary>
public sealed class CrudKeysChangeTests
{
    [Fact]
    public async Task AfterCrudsKeysChangeRealtimeFetchesANewTokenAtTheFirstRefusalNotAtTheOldOnesExpiry()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var settings = CrudSettings();
        var crud = new ServiceHost<BoardsService>(settings);
        await using var realtime = DaprFixture.StartRealtime(crud.GrpcAddress, crud.HttpAddress);
        var log = realtime.Services.GetRequiredService<IEventLog>();
        var head = await log.ReadHeadAsync(timeout.Token); // realtime now keeps a token of crud's

        await crud.DisposeAsync();
        await using var restarted = new ServiceHost<BoardsService>(
            new Dictionary<string, string?>(settings) { ["Auth:SigningKey"] = "another-signing-key-of-43-characters-for-it" }, restarting: crud);

        // The kept token is refused: crud no longer has the key it was signed with.
        var refused = await Assert.ThrowsAsync<SubscriptionEndedException>(() => log.ReadHeadAsync(timeout.Token));
        Assert.Equal(EndReason.Unavailable, refused.Reason);
        // A call soon after fetches a token of the restarted crud's (one at most every few seconds,
        // ClientCredentials.RefetchAfter), where the kept one would be refused for up to an hour.
        await Wait.UntilAsync(async () =>
        {
            try
            {
                return await log.ReadHeadAsync(timeout.Token) == head;
            }
            catch (SubscriptionEndedException)
            {
                return false;
            }
        }, ClientCredentials.RefetchAfter * 3, "realtime to read crud's log again");
    }

    [Fact]
    public async Task AfterCrudsSigningKeyIsRotatedASubscriberWithATokenOfTheNewKeyIsTakenAtOnceAndOneOfTheOldKeyStill()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var settings = CrudSettings();
        var crud = new ServiceHost<BoardsService>(settings);
        await using var realtime = await HealthyRealtimeAsync(crud, timeout.Token);
        using var connection = GrpcChannel.ForAddress(realtime.GrpcAddress);
        await SubscribeAsync(connection, await TokenAsync(crud), timeout.Token); // realtime has read crud's keys
        // Signed with the old key, first shown after the rotation: a token realtime checked before
        // would be taken from its memory of that check, whatever the keys.
        var signedWithTheOldKey = await TokenAsync(crud);

        await crud.DisposeAsync();
        await using var rotated = new ServiceHost<BoardsService>(new Dictionary<string, string?>(settings)
        {
            ["Auth:SigningKey"] = "another-signing-key-of-43-characters-for-it",
            ["Auth:PreviousSigningKey"] = settings["Auth:SigningKey"],
        }, restarting: crud);

        await SubscribeAsync(connection, await TokenAsync(rotated), timeout.Token);
        await SubscribeAsync(connection, signedWithTheOldKey, timeout.Token);
    }

    [Fact]
    public async Task TokensSignedWithKeysCrudNeverHadMakeRealtimeReadCrudsKeysAtMostOnceASecond()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var keyReads = new RequestCounter("/.well-known/jwks");
        await using var crud = new ServiceHost<BoardsService>(CrudSettings(), services => services.AddSingleton<IStartupFilter>(keyReads));
        await using var realtime = await HealthyRealtimeAsync(crud, timeout.Token);
        using var connection = GrpcChannel.ForAddress(realtime.GrpcAddress);
        var token = await TokenAsync(crud);
        await SubscribeAsync(connection, token, timeout.Token);
        var before = keyReads.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var refused = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Assert.ThrowsAsync<RpcException>(() => SubscribeAsync(connection, ForgedTokens.WithUnknownKey(token), timeout.Token))));

        var reads = keyReads.Count - before;
        Assert.All(refused, ex => Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode));
        Assert.InRange(reads, 1, Math.Ceiling(clock.Elapsed.TotalSeconds) + 1);
    }

    private static async Task<ServiceHost<IntegrationEventConsumer>> HealthyRealtimeAsync(ServiceHost<BoardsService> crud, CancellationToken ct)
    {
        var realtime = DaprFixture.StartRealtime(crud.GrpcAddress, crud.HttpAddress);
        using var http = new HttpClient { BaseAddress = realtime.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health", ct)).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "realtime to be healthy");
        return realtime;
    }

    /// <summary>A service's token for every channel, from <paramref name="crud"/> itself (not one kept from before).</summary>
    private static async Task<string> TokenAsync(ServiceHost<BoardsService> crud)
    {
        using var http = new HttpClient { BaseAddress = crud.HttpAddress };
        var (_, body) = await TokenEndpoint.ClientCredentialsAsync(http, LocalAuth.Shared.ClientId, LocalAuth.Shared.ClientSecret, ApiScopes.AllEvents);
        return body.GetProperty("access_token").GetString()!;
    }

    private static async Task SubscribeAsync(GrpcChannel realtime, string token, CancellationToken ct)
    {
        using var stream = await new Contracts.Realtime.V1.Realtime.RealtimeClient(realtime)
            .SubscribeAsync(new SubscribeRequest { Channel = "all" }, ct, new Metadata { { "authorization", $"Bearer {token}" } });
    }

    /// <summary>Counts the requests for one path that reach the service.</summary>
    private sealed class RequestCounter(PathString path) : IStartupFilter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, rest) =>
            {
                if (context.Request.Path == path)
                {
                    Interlocked.Increment(ref _count);
                }
                return rest(context);
            });
            next(app);
        };
    }

    /// <summary>A crud of its own, with no bus: realtime here is on Dapr, and only reads crud.</summary>
    private static Dictionary<string, string?> CrudSettings() => new(LocalAuth.Shared.CrudSettings(":")!)
    {
        ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
        ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
        [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
    };
}
