namespace Polyglot.Bench.Cost;

/// <summary>Idle memory: each process's PSS, the services' total, and the total with the broker.</summary>
public sealed record Footprint(IReadOnlyDictionary<string, double> PssMiBByProcess, double ServicesPssMiB, double TotalPssMiB)
{
    public static Footprint Measure(TopologyUnderTest system)
    {
        var byProcess = system.Processes()
            .GroupBy(p => p.Name.StartsWith("bus", StringComparison.Ordinal) ? "bus" : p.Name)
            .ToDictionary(g => g.Key, g => g.Sum(p => ProcFs.PssBytes(p.ProcessId)) / 1048576.0);
        var services = system.Services.Sum(s => byProcess[s.Name]);
        return new Footprint(byProcess, services, byProcess.Values.Sum());
    }
}
