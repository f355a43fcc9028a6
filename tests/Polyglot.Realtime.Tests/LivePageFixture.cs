using Microsoft.Playwright;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The live page's world in one topology: the streaming side as its own process (so a real
/// SIGTERM can restart it on the same port, where the page reconnects) with a queue of one
/// message per subscriber (so a burst of events cuts a browser off as a slow consumer), and
/// headless Chromium.
/// </summary>
public abstract class LivePageFixture : IAsyncLifetime
{
    private HeadlessChromium? _chromium;

    /// <summary>A user crud knows, to sign in on the page.</summary>
    public const string UserName = "ann";

    public string UserPassword { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>The process that serves the page and holds its stream.</summary>
    public abstract ServiceProcess Streaming { get; }

    /// <summary>A channel to crud, where the test writes, signed in as the local service client.</summary>
    protected abstract GrpcChannel CrudChannel();

    public IBrowser Browser => _chromium!.Browser;

    public Boards.BoardsClient Boards => new(CrudChannel());

    public Columns.ColumnsClient Columns => new(CrudChannel());

    public Cards.CardsClient Cards => new(CrudChannel());

    public Members.MembersClient Members => new(CrudChannel());

    /// <summary>
    /// SIGTERMs the streaming process and starts it again on the same ports. What
    /// <paramref name="meanwhile"/> writes the page must get by resuming: in the split it is
    /// written while realtime is down; in the monolith (crud is down too) right after the restart.
    /// </summary>
    public abstract Task RestartStreamingAsync(Func<Task> meanwhile);

    protected abstract Task StartServicesAsync();

    public async ValueTask InitializeAsync()
    {
        _chromium = await HeadlessChromium.LaunchAsync();
        await StartServicesAsync();
    }

    /// <summary>Starts the process and returns once it is healthy: its hub takes subscribers.</summary>
    protected static async Task StartAndWaitAsync(ServiceProcess process)
    {
        await process.StartAsync();
        using var http = new HttpClient { BaseAddress = process.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the streaming side to take subscribers");
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
        await Streaming.DisposeAsync();
    }
}
