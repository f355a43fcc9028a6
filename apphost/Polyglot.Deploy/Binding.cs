namespace Polyglot.Deploy;

public sealed record Binding(string Name, string Scheme, string Transport, int TargetPort)
{
    /// <summary>
    /// Aspire gives every project a default https binding in publish mode; Polyglot's services
    /// speak plain HTTP/1.1 and h2c inside the cluster and leave TLS to the ingress.
    /// </summary>
    public bool IsServed => Scheme != "https";
}
