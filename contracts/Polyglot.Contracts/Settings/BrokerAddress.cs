namespace Polyglot.Contracts.Settings;

/// <summary>
/// The bus's connection string (<see cref="AppModelNames.Bus"/>): an AMQP URI. Checked where it is
/// read (crud, realtime) and where it is given (the deploy command), so that another form is
/// refused naming the setting rather than in the broker client's words at connection time.
/// </summary>
public static class BrokerAddress
{
    public const string Form = "an AMQP URI such as amqp://user:password@host:5672/";

    /// <summary>The URI (amqp, amqps; MassTransit's own rabbitmq and rabbitmqs too), or null for anything else.</summary>
    public static Uri? Parse(string? connectionString) =>
        Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" or "rabbitmq" or "rabbitmqs" && uri.Host.Length > 0
            ? uri
            : null;
}
