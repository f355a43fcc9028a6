using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Polyglot.Streaming.Diagnostics;

/// <summary>Ready only while the hub takes subscribers, so a load balancer sends none to a replica that would refuse them.</summary>
public sealed class HubHealthCheck(ChannelHub hub) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(hub.IsOpen
            ? HealthCheckResult.Healthy("Taking subscribers.")
            : HealthCheckResult.Unhealthy("Not taking subscribers: starting (reading the event log's head) or shutting down."));
}
