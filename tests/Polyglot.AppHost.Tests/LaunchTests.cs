using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The app host launched as a user launches it (`./run.sh`): the dashboard on its fixed port, a
/// login with the URL it prints, every resource healthy, a clean first screen with links to the
/// REST reference and the live page, realtime's hub metrics on its metrics page; and a promised port
/// held by another program stops it with a message saying which. One at a time: they share the
/// fixed ports.
/// </summary>
public sealed class LaunchTests
{
    private static readonly string[] Resources = ["bus", "crud", "realtime"];

    [Fact]
    public async Task TheDashboardLogsInWithThePrintedUrlShowsEveryResourceHealthyOnACleanScreenWithItsLinksAndTheHubsMetrics()
    {
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
            try
            {
                await Expect(state).ToHaveAttributeAsync("title", "Running", new LocatorAssertionsToHaveAttributeOptions { Timeout = 120_000 });
            }
            catch (PlaywrightException ex)
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

    [Fact]
    public async Task APromisedPortHeldByAnotherProgramStopsTheAppHostSayingWhichItIs()
    {
        // Another app host of this class may still be letting its ports go.
        using var squatter = new TcpListener(IPAddress.Loopback, 5100);
        await Wait.UntilAsync(() =>
        {
            try
            {
                squatter.Start();
                return Task.FromResult(true);
            }
            catch (SocketException)
            {
                return Task.FromResult(false);
            }
        }, TimeSpan.FromSeconds(60), "port 5100 to be free");

        await using var appHost = AppHostProcess.Start();
        var exitCode = await appHost.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Port 5100 (crud's http endpoint) is in use by another program", appHost.Output);
    }
}
