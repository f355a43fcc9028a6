namespace Polyglot.Realtime.Tests;

/// <summary>Starts the process that holds the subscriptions — realtime in the split, crud in the monolith — with extra settings.</summary>
public interface IStreamingProcessFixture
{
    /// <summary>Started and taking subscribers; the caller disposes it.</summary>
    Task<ServiceProcess> StartStreamingAsync(Dictionary<string, string> settings);

    /// <summary>The HTTP address of the crud whose tokens <paramref name="streaming"/> takes.</summary>
    Uri TokenServerOf(ServiceProcess streaming);
}
