using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The app host launched as a user launches it (`./run.sh`): the dashboard on its fixed port, a
/// login with the URL it prints, every resource healthy, a clean first screen with links to the
/// REST reference and the live page, realtime's hub metrics on its metrics page; the README's calls
/// answered on the promised ports; and a promised port held by another program stops it with a
/// message saying which. One at a time: they share the fixed ports.
/// </summary>
public sealed class LaunchTests
{
    private static readonly string[] Resources = ["bus", "crud", "realtime"];

    /// <summary>The services' promised ports (their endpoints in the app model) and the dashboard's with its telemetry and resource endpoints (launchSettings.json).</summary>
    private static readonly int[] FixedPortsOfARun = [5100, 5101, 5200, 5201, 15888, 19999, 20000];

    [Fact]
    public async Task TheDashboardLogsInWithThePrintedUrlShowsEveryResourceHealthyOnACleanScreenWithItsLinksAndTheHubsMetrics()
    {
        await FixedPortsFreeAsync();
        await using var appHost = AppHostProcess.Start();
        var line = await appHost.WaitForLineAsync(l => l.Contains("Login to the dashboard at "), TimeSpan.FromMinutes(2), "the dashboard's login URL");
        var login = line[(line.IndexOf("http", StringComparison.Ordinal))..].Trim();
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();

        await page.GotoAsync(login);

        // A resource's state cell reads "Running" with the green success icon once its health checks pass.
        foreach (var resource in Resources)
        {
            var state = Row(page, resource).Locator("[role=gridcell][col-index='2']");
            async Task<bool> RunningAsync()
            {
                // The dashboard is a Blazor Server app: when its circuit fails (a fault of the dashboard's
                // own grid has done so), it says so, offers to reload, and shows nothing more. A person reloads.
                try
                {
                    if (await page.GetByText("An unhandled error has occurred.").IsVisibleAsync())
                    {
                        await page.ReloadAsync();
                        return false;
                    }
                    return await state.CountAsync() > 0 && await state.GetAttributeAsync("title", new LocatorGetAttributeOptions { Timeout = 5_000 }) == "Running";
                }
                catch (Exception ex) when ((ex is PlaywrightException or TimeoutException) && !page.IsClosed)
                {
                    return false; // the grid redrawn, or the page reloading, under the question: ask again
                }
            }
            try
            {
                await Wait.UntilAsync(RunningAsync, TimeSpan.FromMinutes(2), $"{resource} to run");
            }
            catch (TimeoutException ex)
            {
                throw new InvalidOperationException($"{resource} is not running on the dashboard. The app host printed:\n{appHost.Output}", ex);
            }
            await Expect(state.Locator("svg.severity-icon")).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex("--success"), new LocatorAssertionsToHaveAttributeOptions { Timeout = 120_000 });
        }
        Assert.DoesNotContain("development certificate", await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);

        // The links a newcomer opens first: crud's REST reference, and the live page on realtime.
        await Expect(Row(page, "crud").Locator("a[href='http://localhost:5100/scalar']").First).ToHaveTextAsync("REST API (Scalar)");
        await Expect(Row(page, "realtime").Locator("a[href^='http://localhost:5200']").First).ToHaveTextAsync("Live page");

        // The hub's meter reaches the dashboard: realtime's metrics page lists its instruments.
        await page.GotoAsync(new Uri(new Uri(login), "/metrics/resource/realtime").ToString());
        await Expect(page.GetByText("polyglot.hub.queue.deepest").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
    }

    private static ILocator Row(IPage page, string resource) => page.Locator("[role=row]", new PageLocatorOptions { HasText = resource }).First;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")] // as a program listening on localhost may: Kestrel would serve on 127.0.0.1 alone, and a client trying ::1 first would reach the other
    public async Task APromisedPortHeldByAnotherProgramStopsTheAppHostSayingWhichItIs(string loopback)
    {
        await FixedPortsFreeAsync();
        using var squatter = new TcpListener(IPAddress.Parse(loopback), 5100);
        squatter.Start();

        await using var appHost = AppHostProcess.Start();
        var exitCode = await appHost.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Port 5100 (crud's http endpoint) is in use by another program", appHost.Output);
    }

    /// <summary>
    /// In the monolith, with the changes the README gives for it: started with its "Run it" line,
    /// subscribing at crud (5101, and 5100 for SSE), the Node client given crud's address twice.
    /// </summary>
    [Theory]
    [InlineData("Split")]
    [InlineData("Monolith")]
    public async Task TheReadmesCallCommandsWorkAsWrittenWithBufCurlStandingInForGrpcurl(string topology)
    {
        var monolith = topology == "Monolith";
        using var timeout = TestTimeout.After(TimeSpan.FromMinutes(4));
        // The test chooses the client's secret: it has no browser to read the generated one off the dashboard.
        var secret = Guid.NewGuid().ToString("N");
        await FixedPortsFreeAsync();
        string[] runArguments = monolith ? RunArgumentsOf("crud alone") : [];
        await using var appHost = AppHostProcess.Start([$"--Parameters:{FirstAccounts.Local.ClientSecretParameter}={secret}", .. runArguments]);
        using var http = new HttpClient();
        string[] healthy = monolith ? ["http://localhost:5100/health"] : ["http://localhost:5100/health", "http://localhost:5200/health"];
        await Wait.UntilAsync(async () => (await Task.WhenAll(healthy.Select(url => HealthyAsync(http, url)))).All(up => up),
            TimeSpan.FromMinutes(2), $"{string.Join(" and ", healthy)} to be healthy");
        var commands = ReadmeCommands.InSection("## Call it");
        string Command(string containing)
        {
            var command = commands.Single(c => c.Contains(containing, StringComparison.Ordinal));
            return monolith
                ? command.Replace("localhost:5201", "localhost:5101", StringComparison.Ordinal).Replace("localhost:5200", "localhost:5100", StringComparison.Ordinal)
                    .Replace("create-and-watch.mjs", "create-and-watch.mjs localhost:5101 localhost:5101", StringComparison.Ordinal)
                : command;
        }
        var terminal = new Dictionary<string, string> { ["SECRET"] = secret }; // what the user's shell keeps between commands

        terminal["A"] = await ReadmeCommands.RunAsync(Command("/connect/token").Replace("<dev-client-secret>", secret, StringComparison.Ordinal) + "; printf %s \"$A\"", terminal, timeout.Token);
        Assert.Matches(@"^authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+$", terminal["A"]);
        var board = await JsonAsync(Command("/v1/boards"));
        Assert.Equal("Roadmap", board.GetProperty("name").GetString());
        string OnBoard(string command) => command.Replace("<board id>", IdOf(board), StringComparison.Ordinal);
        var column = await JsonAsync(OnBoard(Command("Columns/CreateColumn")));
        Assert.Equal(IdOf(board), column.GetProperty("boardId").GetString());

        // The two watchers subscribe first: a subscription without a position starts at the present.
        Process? stream = null, sse = null;
        try
        {
            stream = ReadmeCommands.Start(OnBoard(Command("Realtime/Subscribe")), terminal);
            sse = ReadmeCommands.Start(OnBoard(Command("/sse?")), terminal);
            await stream.ReadUntilAsync("\"subscribed\"", timeout.Token);
            await sse.ReadUntilAsync("\"subscribed\"", timeout.Token);
            var card = await JsonAsync(Command("Cards/CreateCard").Replace("<column id>", IdOf(column), StringComparison.Ordinal));
            Assert.Equal("Ship it", card.GetProperty("title").GetString());

            Assert.Contains("\"cardCreated\"", await stream.ReadUntilAsync(IdOf(card), timeout.Token));
            Assert.Contains("\"cardCreated\"", await sse.ReadUntilAsync(IdOf(card), timeout.Token));
        }
        finally
        {
            foreach (var watcher in new[] { stream, sse }.OfType<Process>())
            {
                watcher.Kill(entireProcessTree: true);
                watcher.Dispose();
            }
        }
        var node = await ReadmeCommands.RunAsync(Command("create-and-watch.mjs"), terminal, timeout.Token);
        Assert.Matches(@"received cardCreated at position \d+: ""Hello from Node""", node);

        async Task<System.Text.Json.JsonElement> JsonAsync(string command) =>
            System.Text.Json.JsonDocument.Parse(await ReadmeCommands.RunAsync(command, terminal, timeout.Token)).RootElement;
        static string IdOf(System.Text.Json.JsonElement reply) =>
            reply.TryGetProperty("id", out var id) ? id.GetString()! : throw new InvalidOperationException($"No id in the reply: {reply}");
    }

    /// <summary>The arguments of the README's <c>./run.sh</c> line whose comment says <paramref name="comment"/>.</summary>
    private static string[] RunArgumentsOf(string comment)
    {
        var line = ReadmeCommands.InSection("## Run it").Single(c => c.Contains($"# {comment}", StringComparison.Ordinal));
        return line[..line.IndexOf('#', StringComparison.Ordinal)].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
    }

    private static async Task<bool> HealthyAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Another app host of this class may still be letting them go.</summary>
    private static Task FixedPortsFreeAsync() =>
        Wait.UntilAsync(() => Task.FromResult(FixedPortsOfARun.All(FixedPorts.IsFree)), TimeSpan.FromSeconds(60), "the fixed ports to be free");
}
