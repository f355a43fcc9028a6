using System.Net.Sockets;
using Polyglot.Realtime.Backfill;
using Polyglot.Realtime.Bus;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// realtime's reads of crud's log, wired as the service wires them, against a crud that takes the
/// connection and never answers (a hung process, a stalled network) on its gRPC endpoint, or on
/// its token endpoint too: a read its caller gives up (the subscriber gone, its stream ended) is a
/// cancellation, which the transports take as such; one nobody gives up ends within the call
/// deadline as "unavailable, resume later".
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class CrudEventLogTests(SplitFixture fixture) : IClassFixture<SplitFixture>, IAsyncLifetime
{
    /// <summary>Listening, so connections are taken (the kernel's backlog), but never read or answered.</summary>
    private readonly TcpListener _unanswering = new(IPAddress.Loopback, 0);
    private ServiceHost<IntegrationEventConsumer>? _realtime;

    public ValueTask InitializeAsync()
    {
        _unanswering.Start();
        return ValueTask.CompletedTask;
    }

    /// <summary>The event log of a realtime whose crud never answers its gRPC calls; its tokens come from the real crud unless <paramref name="tokensNeither"/>.</summary>
    private async Task<IEventLog> LogOfARealtimeWhoseCrudDoesNotAnswerAsync(bool tokensNeither)
    {
        var unanswering = new Uri($"http://127.0.0.1:{((IPEndPoint)_unanswering.LocalEndpoint).Port}");
        _realtime = new ServiceHost<IntegrationEventConsumer>(new Dictionary<string, string?>(
            LocalAuth.Shared.RealtimeSettings(unanswering, tokensNeither ? unanswering : fixture.Crud.HttpAddress, ":")!)
        {
            ["ConnectionStrings:bus"] = (await LocalServer.RabbitMQAsync()).ConnectionString,
        });
        return _realtime.Services.GetRequiredService<IEventLog>();
    }

    [Fact]
    public async Task AReadGivenUpIsACancellationNotAFailure()
    {
        var log = await LogOfARealtimeWhoseCrudDoesNotAnswerAsync(tokensNeither: false);
        using var givenUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await using var events = log.ReadAfterAsync(HubChannel.All, 0, givenUp.Token).GetAsyncEnumerator(givenUp.Token);

        var ended = await Assert.ThrowsAnyAsync<Exception>(async () => await events.MoveNextAsync());

        Assert.True(givenUp.IsCancellationRequested);
        Assert.IsAssignableFrom<OperationCanceledException>(ended);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AReadNobodyGivesUpEndsAsUnavailableWithinTheCallDeadline(bool tokensNeither)
    {
        var log = await LogOfARealtimeWhoseCrudDoesNotAnswerAsync(tokensNeither);
        using var timeout = TestTimeout.After(CrudOptions.CallDeadline * 3);
        await using var events = log.ReadAfterAsync(HubChannel.All, 0, timeout.Token).GetAsyncEnumerator(timeout.Token);

        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await events.MoveNextAsync());

        Assert.Equal(EndReason.Unavailable, ended.Reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (_realtime is not null)
        {
            await _realtime.DisposeAsync();
        }
        _unanswering.Dispose();
    }
}
