using System.Diagnostics;
using System.Threading.Channels;

namespace Polyglot.Crud.Tests;

/// <summary>
/// The bus contract is polyglot: a consumer in Node (clients/node/consume-bus.mjs, with amqplib
/// and protobufjs from npm) binds a queue of its own to the exchange and reads crud's events from
/// their documented JSON — no MassTransit, no Dapr.
/// </summary>
public sealed class NodeBusConsumerTests(OwnBrokerCrudFixture fixture) : IClassFixture<OwnBrokerCrudFixture>
{
    [Fact]
    public async Task ANodeConsumerWithAmqplibReadsEveryEventOfABoardFromTheDocumentedJson()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        using var node = Process.Start(new ProcessStartInfo("node", [Path.Combine(Repository.Root, "clients", "node", "consume-bus.mjs"), fixture.BusConnectionString])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var lines = Channel.CreateUnbounded<JsonElement>();
        var errors = new System.Text.StringBuilder();
        node.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                lines.Writer.TryWrite(JsonDocument.Parse(line).RootElement);
            }
        };
        node.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            var first = await lines.Reader.ReadAsync(timeout.Token); // bound and consuming
            Assert.True(first.TryGetProperty("listening", out _), $"{first}: {errors}");

            var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Seen from Node" }, cancellationToken: timeout.Token);
            var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" }, cancellationToken: timeout.Token);
            var card = await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Hello, amqplib" }, cancellationToken: timeout.Token);
            await fixture.Cards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 1, Title = "Still there" }, cancellationToken: timeout.Token);
            await fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = card.Id, Version = 2 }, cancellationToken: timeout.Token);
            var committed = await fixture.OutboxForBoardAsync(board.Id);

            // The broker is this fixture's own: only this log's events are on it.
            var seen = new List<JsonElement>();
            while (seen.Count < committed.Count)
            {
                seen.Add(await lines.Reader.ReadAsync(timeout.Token));
            }
            Assert.Equal(committed.Select(m => (m.Position, m.Type)), seen.Select(l => (l.GetProperty("position").GetInt64(), l.GetProperty("type").GetString()!)));
            // The protobuf payload, decoded in Node, is the same event.
            Assert.Equal(committed.Select(m => m.Position), seen.Select(l => l.GetProperty("eventPosition").GetInt64()));
            Assert.Equal(["boardCreated", "columnCreated", "cardCreated", "cardUpdated", "cardDeleted"], seen.Select(l => l.GetProperty("payload").GetString()));
        }
        finally
        {
            node.Kill();
        }
    }
}
