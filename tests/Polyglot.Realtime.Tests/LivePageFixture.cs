using Microsoft.Playwright;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Settings;
using Polyglot.Crud.Data;
using Polyglot.Crud.Grpc;
using Polyglot.LocalServers;
using Polyglot.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The live page's world: crud on Kestrel with its relay on, realtime as its own process (so a
/// real SIGTERM can restart it on the same port, where the page reconnects) with a queue of one
/// message per subscriber (so a burst of events cuts a browser off as a slow consumer), and
/// Debian's headless Chromium driven by Playwright (no browser download; test.sh installs the
/// chromium package).
/// </summary>
public sealed class LivePageFixture : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    private ServiceHost<BoardsService>? _crud;
    private IPlaywright? _playwright;

    public ServiceProcess Realtime { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Boards.BoardsClient Boards => new(_crud!.CreateGrpcChannel());

    public Columns.ColumnsClient Columns => new(_crud!.CreateGrpcChannel());

    public Cards.CardsClient Cards => new(_crud!.CreateGrpcChannel());

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing; run: apt-get install -y chromium");
        var bus = (await LocalServer.RabbitMQAsync()).ConnectionString;
        _crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-test-{Guid.NewGuid():N}.db")}",
            ["ConnectionStrings:bus"] = bus,
        });
        Realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>
        {
            ["ConnectionStrings__bus"] = bus,
            ["Crud__Address"] = _crud.GrpcAddress.ToString(),
            ["Hub__SubscriberQueueCapacity"] = "1",
        });
        await StartRealtimeAsync();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Without these, Chromium reaches for Google's services at start, which a closed network refuses.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Starts realtime (again, on the same ports) and returns once it takes subscribers.</summary>
    public async Task StartRealtimeAsync()
    {
        await Realtime.StartAsync();
        using var http = new HttpClient { BaseAddress = Realtime.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "realtime to take subscribers");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await Realtime.DisposeAsync();
        if (_crud is not null)
        {
            await _crud.DisposeAsync();
        }
    }
}
