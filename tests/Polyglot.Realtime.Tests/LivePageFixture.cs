using Microsoft.Playwright;
using Polyglot.Contracts.Boards.V1;
using Polyglot.LocalServers;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The live page's world in one topology: the streaming side as its own process (so a real
/// SIGTERM can restart it on the same port, where the page reconnects) with a queue of one
/// message per subscriber (so a burst of events cuts a browser off as a slow consumer), and
/// Debian's headless Chromium driven by Playwright (no browser download; test.sh installs the
/// chromium package).
/// </summary>
public abstract class LivePageFixture : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>The process that serves the page and holds its stream.</summary>
    public abstract ServiceProcess Streaming { get; }

    /// <summary>crud's gRPC address, where the test writes.</summary>
    protected abstract Uri CrudGrpcAddress { get; }

    public IBrowser Browser { get; private set; } = null!;

    public Boards.BoardsClient Boards => new(Grpc.Net.Client.GrpcChannel.ForAddress(CrudGrpcAddress));

    public Columns.ColumnsClient Columns => new(Grpc.Net.Client.GrpcChannel.ForAddress(CrudGrpcAddress));

    public Cards.CardsClient Cards => new(Grpc.Net.Client.GrpcChannel.ForAddress(CrudGrpcAddress));

    /// <summary>
    /// SIGTERMs the streaming process and starts it again on the same ports. What
    /// <paramref name="meanwhile"/> writes the page must get by resuming: in the split it is
    /// written while realtime is down; in the monolith (crud is down too) right after the restart.
    /// </summary>
    public abstract Task RestartStreamingAsync(Func<Task> meanwhile);

    protected abstract Task StartServicesAsync();

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing; run: apt-get install -y chromium");
        await StartServicesAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Without these, Chromium reaches for Google's services at start, which a closed network refuses.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Starts the process and returns once it is healthy: its hub takes subscribers.</summary>
    protected static async Task StartAndWaitAsync(ServiceProcess process)
    {
        await process.StartAsync();
        using var http = new HttpClient { BaseAddress = process.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the streaming side to take subscribers");
    }

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await Streaming.DisposeAsync();
    }
}
