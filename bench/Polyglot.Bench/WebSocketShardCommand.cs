using System.Net.WebSockets;

namespace Polyglot.Bench;

public sealed class WebSocketShardSettings : CommandSettings
{
    [CommandOption("--url <URL>"), Description("realtime's WebSocket endpoint, e.g. ws://localhost:5200/ws.")]
    public string Url { get; init; } = "";

    [CommandOption("--channels-file <PATH>"), Description("One channel per line; socket i subscribes to line i modulo their number.")]
    public string ChannelsFile { get; init; } = "";

    [CommandOption("--first <I>"), Description("Index of this shard's first socket among all shards' sockets.")]
    public int First { get; init; }

    [CommandOption("--count <N>"), Description("Sockets this shard opens.")]
    public int Count { get; init; }
}

/// <summary>
/// One client process of <c>hold --transport websocket</c>: a process can hold at most
/// ~19,900 sockets here (20,000 open files), so the sockets are sharded across processes. It
/// opens its sockets, reports progress on stdout ("opened N", then "ready"), holds them until
/// its stdin closes, and exits. Its access token comes in the environment
/// (<see cref="TokenVariable"/>), not on a command line anyone can read.
/// </summary>
public sealed class WebSocketShardCommand : AsyncCommand<WebSocketShardSettings>
{
    public const string TokenVariable = "POLYGLOT_ACCESS_TOKEN";

    public override async Task<int> ExecuteAsync(CommandContext context, WebSocketShardSettings settings, CancellationToken ct)
    {
        var channels = await File.ReadAllLinesAsync(settings.ChannelsFile, ct);
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        var sockets = new ClientWebSocket[settings.Count];
        var opened = 0;
        using var gate = new SemaphoreSlim(200);
        var progress = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Count).Select(async i =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var socket = sockets[i] = new ClientWebSocket();
                if (token is not null)
                {
                    socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
                }
                var channel = channels[(settings.First + i) % channels.Length];
                await socket.ConnectAsync(new Uri($"{settings.Url}?channel={Uri.EscapeDataString(channel)}"), ct);
                // The `subscribed` message: from then on realtime holds the subscription.
                var buffer = new byte[1024];
                await socket.ReceiveAsync(buffer, ct);
                // Reading on, as any client does: a read is what answers realtime's pings, and a
                // socket that answers none is dropped as dead. Never awaited: the process ends
                // with them.
                _ = ReadOnAsync(socket, buffer);
                var done = Interlocked.Increment(ref opened);
                lock (progress)
                {
                    if (progress.ElapsedMilliseconds > 250 || done == settings.Count)
                    {
                        Console.WriteLine($"opened {done}");
                        progress.Restart();
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        Console.WriteLine("ready");

        await Console.In.ReadToEndAsync(ct); // until the parent closes our stdin
        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }
        return 0;
    }

    private static async Task ReadOnAsync(ClientWebSocket socket, byte[] buffer)
    {
        try
        {
            while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
            // Aborted, or the server went away.
        }
    }

    /// <summary>Starts a shard: this same program, with stdin and stdout piped to the caller.</summary>
    /// <param name="token">The access token the sockets send, if any.</param>
    public static Process Start(string url, string channelsFile, int first, int count, string? token)
    {
        var program = Environment.ProcessPath!;
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
        {
            arguments.Add(typeof(WebSocketShardCommand).Assembly.Location);
        }
        arguments.AddRange(["ws-shard", "--url", url, "--channels-file", channelsFile, "--first", $"{first}", "--count", $"{count}"]);
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true };
        if (token is not null)
        {
            start.Environment[TokenVariable] = token;
        }
        return Process.Start(start)!;
    }
}
