using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The live page in a real browser, over WebSocket and over SSE: a member signs in on crud's form,
/// cards created on crud appear, and the page resumes — nothing missing, nothing twice — after
/// realtime is restarted with SIGTERM and after it cut the page off as a slow consumer; removed
/// from the board, the member's page stops.
/// </summary>
public abstract partial class LivePageTests<TFixture>(TFixture fixture) where TFixture : LivePageFixture
{
    [Theory]
    [InlineData("ws")]
    [InlineData("sse")]
    public async Task ThePageShowsEveryCardOnceThroughARestartAndASlowConsumerCutOff(string transport)
    {
        var (board, column, page, status) = await WatchNewBoardAsync($"Live over {transport}", transport);
        var titles = new List<string>();
        async Task CreateCardsAsync(params string[] created)
        {
            await Task.WhenAll(created.Select(title => fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = title }).ResponseAsync));
            titles.AddRange(created);
        }

        await CreateCardsAsync("Before the restart");
        await Expect(page.Locator("#events")).ToContainTextAsync("card created: Before the restart");

        // SIGTERM: the streaming side drains (WebSocket 1001, SSE "draining") and exits; the cards
        // made meanwhile reach the page only by its resume, from crud's log.
        await fixture.RestartStreamingAsync(meanwhile: () => CreateCardsAsync("Meanwhile 1", "Meanwhile 2"));
        await Expect(status).ToHaveAttributeAsync("data-ends", new Regex(@"\bdraining\b"));
        await ExpectCardsAsync(page, titles);

        // A burst fills the page's one-message queue: realtime cuts it off and it resumes. Until
        // the cut-off shows, burst again (how fast the browser reads is not ours to decide).
        for (var burst = 1; !(await status.GetAttributeAsync("data-ends") ?? "").Contains("slow_consumer"); burst++)
        {
            Assert.True(burst <= 10, "Ten bursts of 20 cards and the page was never cut off as a slow consumer.");
            await CreateCardsAsync([.. Enumerable.Range(1, 20).Select(i => $"Burst {burst}.{i}")]);
            await ExpectCardsAsync(page, titles);
        }

        // Removed from the board: the stream ends as forbidden, and the page does not resume.
        await fixture.Members.RemoveMemberAsync(new RemoveMemberRequest { BoardId = board.Id, User = LivePageFixture.UserName });
        await Expect(status).ToHaveAttributeAsync("data-ends", new Regex(@"\bforbidden$"));
        await Expect(status).ToHaveAttributeAsync("data-state", "closed");
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("sse")]
    public async Task APageCutOffBeforeItsFirstEventResumesFromWhereItsStreamStarted(string transport)
    {
        var (_, column, page, status) = await WatchNewBoardAsync($"Quiet over {transport}", transport);

        // No event has reached the page when the streaming side drains; one is made while it is down.
        await fixture.RestartStreamingAsync(meanwhile: () => fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Meanwhile" }).ResponseAsync);

        await Expect(status).ToHaveAttributeAsync("data-ends", new Regex(@"\bdraining\b"));
        await ExpectCardsAsync(page, ["Meanwhile"]);
    }

    [Fact]
    public async Task WatchingAnotherBoardCancelsTheRetryOfTheOneBefore()
    {
        var notAnns = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Not Ann's" });
        var board = await NewBoardOfAnnsAsync("Ann's");
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var page = await fixture.Browser.NewPageAsync();
        await page.Clock.InstallAsync(); // the page's retry timers fire when the test moves its clock
        var opened = new List<string>();
        page.WebSocket += (_, socket) => { lock (opened) { opened.Add(socket.Url); } };
        await page.GotoAsync(new Uri(fixture.Streaming.HttpAddress, $"/?board={notAnns.Id}&transport=ws").ToString());
        await SignInAsync(page);
        var status = page.Locator("#status");
        await Expect(status).ToHaveAttributeAsync("data-state", "reconnecting"); // refused (not a member): a retry is due

        await page.GetByLabel("Board id").FillAsync(board.Id);
        await page.GetByRole(AriaRole.Button, new() { Name = "Watch" }).ClickAsync();
        await Expect(status).ToHaveAttributeAsync("data-state", "live");
        int switched;
        lock (opened) { switched = opened.Count; }
        await page.Clock.RunForAsync(60_000); // any retry left behind comes due
        await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "On Ann's board" });
        await ExpectCardsAsync(page, ["On Ann's board"]);

        lock (opened)
        {
            Assert.DoesNotContain(opened.Skip(switched), url => url.Contains(notAnns.Id, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AVisitorSignsInFromThePageOnCrudsFormAndComesBackToTheBoardSignedIn()
    {
        var board = await NewBoardOfAnnsAsync("Signed in");
        var (page, watching) = await OpenPageAsync(board.Id);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Not signed in.");
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "closed"); // nothing to watch without a token

        await SignInAsync(page);

        Assert.Equal(watching, page.Url);
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "live");
        Assert.StartsWith("eyJ", await page.EvaluateAsync<string>("sessionStorage.getItem('polyglot.token')"));
    }

    [Fact]
    public async Task AVisitorWhoseSignInHasExpiredIsOfferedToSignInAgainAndWatchesOnOnceSignedIn()
    {
        var board = await NewBoardOfAnnsAsync("Expired");
        var (page, _) = await OpenPageAsync(board.Id);
        await SignInAsync(page);
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "live");

        await ExpireSignInAsync(page);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Your sign-in has expired.");
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "closed");

        // crud still knows the visitor: no form this time.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#who")).ToHaveTextAsync($"Signed in as {LivePageFixture.UserName}.");
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "live");
    }

    [Fact]
    public async Task AVisitorWhoSignsOutStopsWatchingAndMustGiveTheirPasswordToSignInAgain()
    {
        var (_, _, page, status) = await WatchNewBoardAsync("Signed out", "ws");
        var watching = page.Url;
        var signOut = page.GetByRole(AriaRole.Button, new() { Name = "Sign out" });

        await signOut.ClickAsync();
        await ConfirmSignOutAtCrudAsync(page);

        // Back on the board, through crud, watching no more.
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed out.");
        await Expect(status).ToHaveAttributeAsync("data-state", "closed");
        await Expect(signOut).ToBeHiddenAsync();
        Assert.Equal(watching, page.Url);
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('polyglot.token')"));
        // crud forgot the visitor too: the form this time (compare the expired sign-in above).
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByLabel("Password")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AVisitorWhoSignsOutInOneTabStopsWatchingInTheOthersOfThatBrowserRunningOrNot()
    {
        var board = await NewBoardOfAnnsAsync("Two tabs");
        await using var browser = await fixture.Browser.NewContextAsync(); // one browser's tabs: crud's cookie shared, a token each
        var (page, _) = await OpenPageAsync(board.Id, browser: browser);
        await SignInAsync(page);
        var (other, _) = await OpenPageAsync(board.Id, browser: browser);
        var sockets = new List<IWebSocket>();
        other.WebSocket += (_, socket) => { lock (sockets) { sockets.Add(socket); } };
        var (away, _) = await OpenPageAsync(board.Id, browser: browser);
        foreach (var tab in new[] { other, away })
        {
            await tab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(); // crud knows the visitor: no form
            await Expect(tab.Locator("#status")).ToHaveAttributeAsync("data-state", "live");
        }
        await away.GotoAsync("about:blank"); // not running when the sign-out comes

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ConfirmSignOutAtCrudAsync(page);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed out.");

        await Expect(other.Locator("#who")).ToHaveTextAsync("Signed out in another tab.");
        await Expect(other.Locator("#status")).ToHaveAttributeAsync("data-state", "closed");
        Assert.Null(await other.EvaluateAsync<string?>("sessionStorage.getItem('polyglot.token')"));
        await Wait.UntilAsync(() => { lock (sockets) { return Task.FromResult(sockets.Count > 0 && sockets.All(s => s.IsClosed)); } },
            TimeSpan.FromSeconds(30), "the other tab's stream to close");
        await away.GoBackAsync();
        await Expect(away.Locator("#status")).ToHaveAttributeAsync("data-state", "closed");
        await Expect(away.Locator("#who")).ToHaveTextAsync("Not signed in.");
        Assert.Null(await away.EvaluateAsync<string?>("sessionStorage.getItem('polyglot.token')"));
    }

    [Fact]
    public async Task ASignOutThatCrudDidNotCompleteLeavesTheVisitorSignedInAndWatching()
    {
        var (_, _, page, status) = await WatchNewBoardAsync("Not signed out", "ws");
        var watching = page.Url;
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/connect/endsession", route => route.FulfillAsync(new() { Status = 500, Body = "crud failed" }));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByText("crud failed")).ToBeVisibleAsync();
        await page.GotoAsync(watching); // the visitor comes back to the page

        await Expect(page.Locator("#who")).ToHaveTextAsync($"Signed in as {LivePageFixture.UserName}.");
        await Expect(status).ToHaveAttributeAsync("data-state", "live");
    }

    [Fact]
    public async Task AVisitorWhoseCodeCouldNotBeExchangedIsToldWhyAndCanStillSignOutOfCrud()
    {
        var board = await NewBoardOfAnnsAsync("Exchange failed");
        var (page, watching) = await OpenPageAsync(board.Id);
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/connect/token", route => route.AbortAsync());

        await SubmitSignInFormAsync(page);

        await Expect(page.Locator("#who")).ToHaveTextAsync("Sign-in failed: crud could not be reached.");
        Assert.Equal(watching, page.Url);
        // crud signed the visitor in all the same: Sign out ends that, and the next sign-in asks for the password.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ConfirmSignOutAtCrudAsync(page);
        await Expect(page.Locator("#who")).ToHaveTextAsync("Signed out.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByLabel("Password")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AVisitorSentBackWithAnErrorInsteadOfACodeIsToldWhyAndThePageForgetsTheAttempt(bool expired)
    {
        var board = await NewBoardOfAnnsAsync("Refused");
        var (page, watching) = await OpenPageAsync(board.Id);
        await SignInAsync(page);
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "live");
        if (expired)
        {
            await ExpireSignInAsync(page);
        }
        else
        {
            // Still signed in: the button as a dropped stream shows it.
            await page.EvaluateAsync("document.getElementById('sign-in').hidden = false");
        }
        // crud's answer when the visitor declines, or it cannot sign them in: back with ?error= and the request's state.
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/connect/authorize", route => route.FulfillAsync(new()
        {
            Status = 302,
            Headers = new Dictionary<string, string>
            {
                ["Location"] = new Uri(fixture.Streaming.HttpAddress,
                    $"/?error=access_denied&error_description=The+visitor+said+no&state={System.Web.HttpUtility.ParseQueryString(new Uri(route.Request.Url).Query)["state"]}").ToString(),
            },
        }));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.Locator("#who")).ToHaveTextAsync("Sign-in failed: The visitor said no");
        // Watching again (or not, its sign-in expired), and the reason still shown.
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", expired ? "closed" : "live");
        await Expect(page.Locator("#who")).ToHaveTextAsync("Sign-in failed: The visitor said no");
        Assert.Equal(watching, page.Url);
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('polyglot.pkce')"));
    }

    /// <summary>An hour on: the token the tab keeps is past its expiry (its exp moved back; the page checks no signature), and the page loaded again.</summary>
    private static async Task ExpireSignInAsync(IPage page)
    {
        await page.EvaluateAsync("""
            () => {
              const [header, payload, signature] = sessionStorage.getItem("polyglot.token").split(".");
              const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
              claims.exp = Math.floor(Date.now() / 1000) - 60;
              const moved = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
              sessionStorage.setItem("polyglot.token", [header, moved, signature].join("."));
            }
            """);
        await page.ReloadAsync();
    }

    /// <summary>A new board of Ann's with a column, watched live on a page she signed in on.</summary>
    private async Task<(Board Board, Column Column, IPage Page, ILocator Status)> WatchNewBoardAsync(string name, string transport)
    {
        var board = await NewBoardOfAnnsAsync(name);
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var (page, _) = await OpenPageAsync(board.Id, transport);
        await SignInAsync(page);
        var status = page.Locator("#status");
        await Expect(status).ToHaveAttributeAsync("data-state", "live");
        return (board, column, page, status);
    }

    /// <summary>
    /// A new browser page (cookies of its own, unless a tab of <paramref name="browser"/>) on the live
    /// page watching the board; the address it was opened at.
    /// </summary>
    private async Task<(IPage Page, string Watching)> OpenPageAsync(string boardId, string transport = "ws", IBrowserContext? browser = null)
    {
        var page = browser is null ? await fixture.Browser.NewPageAsync() : await browser.NewPageAsync();
        var watching = new Uri(fixture.Streaming.HttpAddress, $"/?board={boardId}&transport={transport}").ToString();
        await page.GotoAsync(watching);
        return (page, watching);
    }

    /// <summary>A board of the local client's, with the page's user as a viewer.</summary>
    private async Task<Board> NewBoardOfAnnsAsync(string name)
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = name });
        await fixture.Members.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = LivePageFixture.UserName, Role = Role.Viewer });
        return board;
    }

    /// <summary>Signs in from the page on crud's form (another origin in the split), and comes back to it signed in.</summary>
    private async Task SignInAsync(IPage page)
    {
        await SubmitSignInFormAsync(page);
        await Expect(page.Locator("#who")).ToHaveTextAsync($"Signed in as {LivePageFixture.UserName}.");
    }

    /// <summary>Goes from the page's Sign in to crud's form, and signs in there.</summary>
    private async Task SubmitSignInFormAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByLabel("User name").FillAsync(LivePageFixture.UserName);
        await page.GetByLabel("Password").FillAsync(fixture.UserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Answers crud's question before it signs the visitor out (its page's button, once the browser is there).</summary>
    /// <remarks>
    /// The address polled, not awaited as an event: WaitForURLAsync missed a navigation that came
    /// as it began (1 run in ~8, both topologies at once), and waited for it 30 s.
    /// </remarks>
    private static async Task ConfirmSignOutAtCrudAsync(IPage page)
    {
        await Expect(page).ToHaveURLAsync(new Regex($"{Regex.Escape(Contracts.Auth.TokenServerPaths.EndSession)}\\?"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
    }

    /// <summary>Waits until the page lists exactly these cards, each once, in position order.</summary>
    private static async Task ExpectCardsAsync(IPage page, List<string> titles)
    {
        var expected = titles.Order(StringComparer.Ordinal).ToList();
        List<(long Position, string Title)> shown = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            shown = [.. (await page.Locator("#events li").AllInnerTextsAsync())
                .Select(text => CardCreated().Match(text))
                .Where(match => match.Success)
                .Select(match => (long.Parse(match.Groups[1].Value), match.Groups[2].Value))];
            if (shown.Select(s => s.Title).Order(StringComparer.Ordinal).SequenceEqual(expected) || DateTime.UtcNow > deadline)
            {
                break;
            }
            await page.WaitForTimeoutAsync(100);
        }
        Assert.Equal(expected, shown.Select(s => s.Title).Order(StringComparer.Ordinal));
        Assert.Equal(shown.Select(s => s.Position).Order(), shown.Select(s => s.Position));
    }

    [GeneratedRegex(@"^#(\d+)\s*card created: (.+)$")]
    private static partial Regex CardCreated();
}

[Collection(SplitCollection.Name)]
public sealed class SplitLivePageTests(SplitLivePageFixture fixture) : LivePageTests<SplitLivePageFixture>(fixture), IClassFixture<SplitLivePageFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithLivePageTests(MonolithLivePageFixture fixture) : LivePageTests<MonolithLivePageFixture>(fixture), IClassFixture<MonolithLivePageFixture>;
