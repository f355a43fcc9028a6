using System.Net.Sockets;
using System.Reflection;
using MassTransit.RabbitMqTransport;
using Microsoft.Extensions.Configuration;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Settings;
using RabbitMQ.Client.Exceptions;

namespace MassTransit;

/// <summary>RabbitMQ as crud and realtime both use it: the broker, the events exchange, and reconnects that keep up.</summary>
public static class BusDefaults
{
    /// <summary>
    /// ConnectionStrings:bus, the broker's AMQP URI. Unset or of another form, the service stops at
    /// start naming the setting; unset, it also says what else the service may do: <paramref name="otherwise"/>.
    /// </summary>
    public static Uri Broker(this IConfiguration configuration, string otherwise) =>
        configuration.GetConnectionString(AppModelNames.Bus) is { } connectionString
            ? BrokerAddress.Parse(connectionString) ?? throw new InvalidOperationException($"ConnectionStrings:{AppModelNames.Bus} is not {BrokerAddress.Form}.")
            : throw new InvalidOperationException($"ConnectionStrings:{AppModelNames.Bus} is not set (an amqp:// URI); or {otherwise}.");

    public static void UsePolyglotBus(this IRabbitMqBusFactoryConfigurator rabbit, Uri broker)
    {
        rabbit.Host(broker, host =>
        {
            host.RequestedConnectionTimeout(TimeSpan.FromSeconds(3)); // an attempt at an unreachable broker gives up soon
            host.Heartbeat(TimeSpan.FromSeconds(10));                 // a silently dead connection is noticed soon
            // Closing a connection whose broker died waits for close-oks that never come, and
            // MassTransit reconnects only once it is closed: 2 s for any broker reply, not 20.
            host.ContinuationTimeout(TimeSpan.FromSeconds(2));
            host.OnRefreshConnectionFactory = factory =>
            {
                factory.SocketFactory = family => new AnsweringBrokerSocket(new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
                return Task.CompletedTask;
            };
        });
        rabbit.Message<IntegrationEventBatch>(m => m.SetEntityName(IntegrationEventBatch.ExchangeName));
        rabbit.ReconnectAboutEverySecond();
    }

    /// <summary>
    /// MassTransit 8.5 reconnects to RabbitMQ on a fixed exponential policy — 3 s to 30 s apart,
    /// never reset between outages — so live delivery came back 6 to 12 s after the broker did.
    /// It offers no setting for it (its host configuration's policy is get-only), so the policy
    /// is replaced here, with the same exceptions handled: one attempt about every second (MassTransit
    /// waits a fixed second between attempts itself). The send side uses the same policy. Should
    /// MassTransit's internals change, this throws at start-up rather than quietly do nothing.
    /// </summary>
    private static void ReconnectAboutEverySecond(this IRabbitMqBusFactoryConfigurator rabbit)
    {
        var host = rabbit.GetType().GetField("_hostConfiguration", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(rabbit)
            ?? throw new InvalidOperationException("MassTransit's RabbitMQ configurator has no _hostConfiguration any more: revisit BusDefaults.");
        var policy = host.GetType().GetField("<ReceiveTransportRetryPolicy>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("MassTransit's RabbitMQ host configuration has no ReceiveTransportRetryPolicy field any more: revisit BusDefaults.");
        policy.SetValue(host, Retry.CreatePolicy(retry =>
        {
            retry.Handle<ConnectionException>();
            retry.Handle<AlreadyClosedException>();
            retry.Handle<EndOfStreamException>();
            retry.Handle<OperationInterruptedException>(exception => exception.ChannelShouldBeClosed());
            retry.Handle<NotSupportedException>(exception => exception.Message.Contains("Pipelining of requests forbidden", StringComparison.Ordinal));
            retry.Ignore<AuthenticationFailureException>();
            retry.Interval(1000, TimeSpan.Zero);
        }));
    }
}

/// <summary>
/// A connection to RabbitMQ that gives up when the broker takes it but does not begin the AMQP
/// handshake within <see cref="FirstBytesTimeout"/>, as a broker still starting can. RabbitMQ.Client 7
/// waits for the broker's <c>connection.start</c> bounded only by the cancellation token it is
/// given, and MassTransit gives none: one such attempt held every publish for as long as the broker
/// stayed silent (16 s once, in the chaos suite). Failed, the attempt is retried about a second later.
/// </summary>
internal sealed class AnsweringBrokerSocket(Socket socket) : RabbitMQ.Client.TcpClientAdapter(socket)
{
    /// <summary>A live broker answers the protocol header at once.</summary>
    public static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(2);

    public override NetworkStream GetStream() => new FirstBytesStream(Client);

    private sealed class FirstBytesStream(Socket socket) : NetworkStream(socket, ownsSocket: false)
    {
        private bool _answered;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_answered)
            {
                return await base.ReadAsync(buffer, cancellationToken);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(FirstBytesTimeout);
            try
            {
                var read = await base.ReadAsync(buffer, timeout.Token);
                _answered = true;
                return read;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"The broker took the connection but sent nothing for {FirstBytesTimeout.TotalSeconds} s.");
            }
        }
    }
}
