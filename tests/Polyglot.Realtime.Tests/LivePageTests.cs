using Microsoft.Playwright;
using Polyglot.Contracts.Boards.V1;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The live page in a real browser: Debian's headless Chromium driven by Playwright (no browser
/// download; .ci/run installs the chromium package).
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class LivePageTests(SplitFixture fixture) : IClassFixture<SplitFixture>, IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing; run: apt-get install -y chromium");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Without these, Chromium reaches for Google's services at start, which this machine refuses.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("sse")]
    public async Task ACardCreatedOverGrpcAppearsOnTheLivePage(string transport)
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"Live over {transport}" });
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.Realtime.HttpAddress, $"/?board={board.Id}&transport={transport}").ToString());
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "live");

        await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = $"Seen in the browser via {transport}" });

        await Expect(page.Locator("#events")).ToContainTextAsync($"card created: Seen in the browser via {transport}");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
