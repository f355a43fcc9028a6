namespace Polyglot.Deploy;

/// <summary>What each workload asks for and may use; the defaults suit a small cluster.</summary>
public sealed record Sizing(string CpuRequest, string MemoryRequest, string CpuLimit, string MemoryLimit)
{
    public static Sizing For(AppModel model, Resource resource) => resource switch
    {
        // Whoever holds the subscriptions (realtime, or crud in the monolith): memory grows by
        // ≈ 10 KB per subscription (bench/).
        _ when model.HoldsSubscriptions(resource) => new("250m", "512Mi", "2", "2Gi"),
        { IsProject: true } => new("100m", "256Mi", "1", "512Mi"),
        _ => new("100m", "256Mi", "1", "1Gi"),
    };

    /// <summary>
    /// How long a service is given to stop before it is killed: .NET's 30 s shutdown timeout, within
    /// which realtime ends its streams, and a little. The servers keep their platform's default.
    /// </summary>
    public static int? StopGraceSeconds(Resource resource) => resource.IsProject ? 35 : null;

    /// <summary>
    /// How long a Kubernetes pod of a service serves on after it is told to stop, before it is sent
    /// SIGTERM: the Service's endpoints forget a terminating pod a moment later, not at once, and a
    /// subscriber that reconnected in between would be sent back to it. Added to the grace period.
    /// </summary>
    public static int? PreStopSleepSeconds(Resource resource) => resource.IsProject ? 5 : null;
}
