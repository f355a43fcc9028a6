using System.Reflection;
using MassTransit.RabbitMqTransport;
using Polyglot.Contracts.Events;
using RabbitMQ.Client.Exceptions;

namespace MassTransit;

/// <summary>RabbitMQ as crud and realtime both use it: the broker, the events exchange, and reconnects that keep up.</summary>
public static class BusDefaults
{
    public static void UsePolyglotBus(this IRabbitMqBusFactoryConfigurator rabbit, string connectionString)
    {
        rabbit.Host(new Uri(connectionString), host =>
        {
            host.RequestedConnectionTimeout(TimeSpan.FromSeconds(3)); // an attempt at an unreachable broker gives up soon
            host.Heartbeat(TimeSpan.FromSeconds(10));                 // a silently dead connection is noticed soon
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
