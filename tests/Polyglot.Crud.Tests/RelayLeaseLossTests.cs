using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Polyglot.Crud.Data;
using Polyglot.Crud.Outbox;

namespace Polyglot.Crud.Tests;

/// <summary>
/// The relay's lease taken by another replica while a round is in flight: however that round
/// ends, this replica stands by, and crud goes on serving.
/// </summary>
public sealed class RelayLeaseLossTests
{
    [Fact]
    public async Task ARoundThatFailsAfterTheLeaseWasLostLeavesCrudRunningAndItRelaysAgainOnceTheLeaseIsBack()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var destination = new FailsOnceTheRoundIsGivenUp();
        await using var crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["Outbox:LeaseDuration"] = "00:00:03",
            ["Outbox:PollInterval"] = "00:00:00.100",
        }, services => services.AddSingleton<IOutboxDestination>(destination));
        var stopping = crud.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var boards = new Boards.BoardsClient(crud.CreateSignedInChannel());

        var board = await boards.CreateBoardAsync(new CreateBoardRequest { Name = "Published across a lost lease" }, cancellationToken: timeout.Token);
        await destination.FirstRoundStarted.Task.WaitAsync(timeout.Token);
        await StealLeaseAsync(crud, TimeSpan.FromSeconds(3), timeout.Token);

        // The fault: the round was given up, and it failed on its way out with an error of its own.
        await destination.FailedAfterGivenUp.Task.WaitAsync(timeout.Token);
        // The other's lease runs out, this replica takes it again and publishes the same row.
        await Wait.UntilAsync(() => Task.FromResult(destination.Delivered.Contains(Guid.Parse(board.Id))), TimeSpan.FromSeconds(20), "the relay to take the lease again and publish");
        Assert.False(stopping.IsCancellationRequested, "crud stopped: the failed round ended its relay, and the host with it.");
        Assert.Equal("Published across a lost lease", (await boards.GetBoardAsync(new GetBoardRequest { Id = board.Id }, cancellationToken: timeout.Token)).Name);
    }

    /// <summary>Another replica takes the lease, as one whose clock says this one's has run out would.</summary>
    private static async Task StealLeaseAsync(ServiceHost<BoardsService> crud, TimeSpan duration, CancellationToken ct)
    {
        await using var scope = crud.Services.CreateAsyncScope();
        var until = DateTimeOffset.UtcNow.Add(duration).ToUnixTimeMilliseconds();
        var taken = await scope.ServiceProvider.GetRequiredService<BoardsDbContext>().RelayLeases
            .Where(l => l.Name == RelayLease.Relay)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, "another replica").SetProperty(l => l.ExpiresAt, until), ct);
        Assert.Equal(1, taken);
    }

    /// <summary>
    /// Its first round waits until it is given up, then fails with an I/O error (as a publish
    /// finishing while the connection drops would), not a cancellation; later rounds deliver.
    /// </summary>
    private sealed class FailsOnceTheRoundIsGivenUp : IOutboxDestination
    {
        private int _rounds;

        public TaskCompletionSource FirstRoundStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FailedAfterGivenUp { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentBag<Guid> Delivered { get; } = [];

        public async Task DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _rounds) > 1)
            {
                foreach (var message in batch)
                {
                    Delivered.Add(message.BoardId);
                }
                return;
            }
            FirstRoundStarted.SetResult();
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            FailedAfterGivenUp.SetResult();
            throw new IOException("The connection was reset as the round was given up.");
        }
    }
}
