using Polyglot.Contracts.Auth;
using Polyglot.Crud.Data;

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
        await using var realtime = DaprFixture.StartRealtime(crud.GrpcAddress, crud.HttpAddress);
        using var connection = Grpc.Net.Client.GrpcChannel.ForAddress(realtime.GrpcAddress);
        var subscriptions = new Contracts.Realtime.V1.Realtime.RealtimeClient(connection);
        async Task<string> TokenAsync(ServiceHost<BoardsService> from)
        {
            using var http = new HttpClient { BaseAddress = from.HttpAddress };
            var (_, body) = await TokenEndpoint.ClientCredentialsAsync(http, LocalAuth.Shared.ClientId, LocalAuth.Shared.ClientSecret, ApiScopes.AllEvents);
            return body.GetProperty("access_token").GetString()!;
        }
        async Task SubscribeAsync(string token)
        {
            using var stream = await subscriptions.SubscribeAsync(new SubscribeRequest { Channel = "all" }, timeout.Token, new Metadata { { "authorization", $"Bearer {token}" } });
        }
        using (var http = new HttpClient { BaseAddress = realtime.HttpAddress })
        {
            await Wait.UntilAsync(async () => (await http.GetAsync("/health", timeout.Token)).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "realtime to be healthy");
        }
        await SubscribeAsync(await TokenAsync(crud)); // realtime has read crud's keys
        // Signed with the old key, first shown after the rotation: a token realtime checked before
        // would be taken from its memory of that check, whatever the keys.
        var signedWithTheOldKey = await TokenAsync(crud);

        await crud.DisposeAsync();
        await using var rotated = new ServiceHost<BoardsService>(new Dictionary<string, string?>(settings)
        {
            ["Auth:SigningKey"] = "another-signing-key-of-43-characters-for-it",
            ["Auth:PreviousSigningKey"] = settings["Auth:SigningKey"],
        }, restarting: crud);

        await SubscribeAsync(await TokenAsync(rotated));
        await SubscribeAsync(signedWithTheOldKey);
    }

    /// <summary>A crud of its own, with no bus: realtime here is on Dapr, and only reads crud.</summary>
    private static Dictionary<string, string?> CrudSettings() => new(LocalAuth.Shared.CrudSettings(":")!)
    {
        ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
        ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
        [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
    };
}
