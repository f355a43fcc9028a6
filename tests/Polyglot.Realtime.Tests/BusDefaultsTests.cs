using System.Net.Sockets;
using MassTransit;

namespace Polyglot.Realtime.Tests;

/// <summary>The bus set-up crud and realtime share (BusDefaults), against a broker that misbehaves.</summary>
public sealed class BusDefaultsTests
{
    [Fact]
    public async Task ABrokerThatTakesTheConnectionButNeverAnswersIsGivenUpOnAndTriedAgainWithinSeconds()
    {
        // A "broker" that takes TCP connections and then says nothing, as one still starting can.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            var held = new List<Socket>();
            try
            {
                while (true)
                {
                    held.Add(await silent.AcceptSocketAsync(stop.Token));
                    Interlocked.Increment(ref accepted);
                }
            }
            catch (OperationCanceledException)
            {
                held.ForEach(socket => socket.Dispose());
            }
        });
        var services = new ServiceCollection().AddLogging();
        services.AddMassTransit(x => x.UsingRabbitMq((_, rabbit) =>
            rabbit.UsePolyglotBus(new Uri($"amqp://guest:guest@127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/"))));
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        // Starting connects the bus's own endpoint, retrying about every second (BusDefaults): it cannot finish here.
        using var starting = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var start = bus.StartAsync(starting.Token);

        // Without AnsweringBrokerSocket the first attempt waits for as long as the listener stays silent (one in 45 s, measured).
        await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref accepted) >= 2), TimeSpan.FromSeconds(12), "a second connection attempt");

        Assert.False(start.IsCompletedSuccessfully, "The bus started against a broker that never answered.");
        await starting.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => start);
        await bus.StopAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await accepting;
    }
}
