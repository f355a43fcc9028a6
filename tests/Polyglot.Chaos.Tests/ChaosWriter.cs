using Grpc.Core;
using Polyglot.LocalServers;
using Polyglot.Contracts.Boards.V1;

namespace Polyglot.Chaos.Tests;

/// <summary>
/// The write load: ≈ 20 changes a second — creates, updates, moves and deletes of cards on boards
/// of two columns — each call's outcome recorded with its time, so a fault that should stop
/// writes can be shown to have stopped them. A call that fails may still have committed (crud
/// killed after the commit): only the database says what did.
/// </summary>
public sealed class ChaosWriter(ServiceProcess crud, IReadOnlyList<(string Board, string[] Columns)> boards, Random random)
{
    private readonly List<(DateTime At, bool Ok)> _calls = [];
    private readonly List<(string Id, string Column, long Version)> _cards = [];

    public int Attempted { get { lock (_calls) { return _calls.Count; } } }

    public bool FailedBetween(DateTime from, DateTime to)
    {
        lock (_calls)
        {
            return _calls.Any(c => !c.Ok && c.At >= from && c.At <= to);
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var ok = true;
            try
            {
                using var channel = LocalAuth.Shared.CrudChannel(crud);
                await ChangeSomethingAsync(new Cards.CardsClient(channel));
            }
            catch (RpcException)
            {
                ok = false; // crud down, killed mid-call, or a version the model lost track of
            }
            lock (_calls)
            {
                _calls.Add((DateTime.UtcNow, ok));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        }
    }

    private async Task ChangeSomethingAsync(Cards.CardsClient cards)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var roll = random.Next(100);
        if (roll < 50 || _cards.Count < 5)
        {
            var (_, columns) = boards[random.Next(boards.Count)];
            var column = columns[random.Next(columns.Length)];
            var card = await cards.CreateCardAsync(new CreateCardRequest { ColumnId = column, Title = $"card {Guid.NewGuid():N}" }, deadline: deadline);
            _cards.Add((card.Id, card.ColumnId, card.Version));
            return;
        }
        var index = random.Next(_cards.Count);
        var (id, columnId, version) = _cards[index];
        _cards.RemoveAt(index); // back in once the change is known to have committed
        if (roll < 70)
        {
            var card = await cards.UpdateCardAsync(new UpdateCardRequest { Id = id, Version = version, Title = $"updated {Guid.NewGuid():N}" }, deadline: deadline);
            _cards.Add((card.Id, card.ColumnId, card.Version));
        }
        else if (roll < 90)
        {
            var columns = boards.Single(b => b.Columns.Contains(columnId)).Columns;
            var card = await cards.MoveCardAsync(new MoveCardRequest { Id = id, Version = version, ColumnId = columns[random.Next(columns.Length)], Index = random.Next(5) }, deadline: deadline);
            _cards.Add((card.Id, card.ColumnId, card.Version));
        }
        else
        {
            await cards.DeleteCardAsync(new DeleteCardRequest { Id = id, Version = version }, deadline: deadline);
        }
    }
}
