using Polyglot.Contracts.Auth;
using Polyglot.Crud.Data;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// crud restarted with other signing keys (rotated, or made up at each start as in Development)
/// while realtime runs: the token realtime keeps for crud is refused from then on.
/// </summary>
public sealed class CrudKeysChangeTests
{
    [Fact]
    public async Task AfterCrudsKeysChangeRealtimeFetchesANewTokenAtTheFirstRefusalNotAtTheOldOnesExpiry()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var settings = new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            [AppModelNames.TopologySetting] = nameof(Topology.Monolith), // no bus: realtime here is on Dapr, and only reads crud
        };
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
}
