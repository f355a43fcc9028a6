using System.Net.Sockets;
using Polyglot.Realtime.Backfill;
using Polyglot.Realtime.Bus;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// realtime's reads of crud's log, wired as the service wires them, against a crud whose gRPC
/// endpoint takes the connection and never answers (a hung process, a stalled network; its tokens
/// still come): a read its caller gives up (the subscriber gone, its stream ended) is a
/// cancellation, which the transports take as such; one nobody gives up ends within the call
/// deadline as "unavailable, resume later".
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class CrudEventLogTests(SplitFixture fixture) : IClassFixture<SplitFixture>, IAsyncLifetime
{
    /// <summary>Listening, so connections are taken (the kernel's backlog), but never read or answered.</summary>
    private readonly TcpListener _unanswering = new(IPAddress.Loopback, 0);
    private ServiceHost<IntegrationEventConsumer>? _realtime;

    public async ValueTask InitializeAsync()
    {
        _unanswering.Start();
        var unanswering = new Uri($"http://127.0.0.1:{((IPEndPoint)_unanswering.LocalEndpoint).Port}");
        _realtime = new ServiceHost<IntegrationEventConsumer>(new Dictionary<string, string?>(LocalAuth.Shared.RealtimeSettings(unanswering, fixture.Crud.HttpAddress, ":")!)
        {
            ["ConnectionStrings:bus"] = (await LocalServer.RabbitMQAsync()).ConnectionString,
        });
    }

    private IEventLog Log => _realtime!.Services.GetRequiredService<IEventLog>();

    [Fact]
    public async Task AReadGivenUpIsACancellationNotAFailure()
    {
        using var givenUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await using var events = Log.ReadAfterAsync(HubChannel.All, 0, givenUp.Token).GetAsyncEnumerator(givenUp.Token);

        var ended = await Assert.ThrowsAnyAsync<Exception>(async () => await events.MoveNextAsync());

        Assert.True(givenUp.IsCancellationRequested);
        Assert.IsAssignableFrom<OperationCanceledException>(ended);
    }

    [Fact]
    public async Task AReadNobodyGivesUpEndsAsUnavailableWithinTheCallDeadline()
    {
        using var timeout = TestTimeout.After(CrudOptions.CallDeadline * 3);
        await using var events = Log.ReadAfterAsync(HubChannel.All, 0, timeout.Token).GetAsyncEnumerator(timeout.Token);

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
