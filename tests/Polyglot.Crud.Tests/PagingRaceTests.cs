using System.Data.Common;

namespace Polyglot.Crud.Tests;

/// <summary>
/// A page request raced by a change to its list: the change lands just after crud's first query of
/// the page has run, the worst moment for a page read in more than one statement. On PostgreSQL,
/// where another connection's write does not wait for an open read.
/// </summary>
public sealed class PagingRaceTests(PostgresCrudFixture fixture) : IClassFixture<PostgresCrudFixture>
{
    [Fact]
    public async Task ACardDeletedBeforeThePageWhileThePageIsReadNeitherSkipsNorRepeatsOne()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Raced" }, cancellationToken: timeout.Token);
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" }, cancellationToken: timeout.Token);
        var cards = new List<Card>();
        for (var i = 0; i < 5; i++)
        {
            cards.Add(await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = $"{i}" }, cancellationToken: timeout.Token));
        }

        var first = await fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = column.Id, PageSize = 2 }, cancellationToken: timeout.Token);
        Assert.Equal(["0", "1"], first.Cards.Select(c => c.Title));

        // The first query of the next page that names the page's last card: once it has run, card 0
        // is deleted, which moves every card after it up one place.
        var deleted = false;
        var last = Guid.Parse(cards[1].Id);
        using (EfCommands.Executed(command =>
        {
            if (!deleted && command.Parameters.Cast<DbParameter>().Any(p => p.Value is Guid value && value == last))
            {
                deleted = true;
                fixture.Cards.DeleteCard(new DeleteCardRequest { Id = cards[0].Id, Version = 1 }, cancellationToken: timeout.Token);
            }
        }))
        {
            // EF Core looks again for listeners only now and then: a page read before it reports to
            // this one is not raced (and changes nothing), so read until one is.
            ListCardsResponse second = null!;
            await Wait.UntilAsync(async () =>
            {
                second = await fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = column.Id, PageSize = 2, PageToken = first.NextPageToken }, cancellationToken: timeout.Token);
                return deleted;
            }, TimeSpan.FromSeconds(10), "a page read raced by the deletion");

            Assert.Equal(["2", "3"], second.Cards.Select(c => c.Title));
        }
    }
}
