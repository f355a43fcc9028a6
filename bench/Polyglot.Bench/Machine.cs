using System.Runtime.InteropServices;

namespace Polyglot.Bench;

/// <summary>The machine a run was measured on; every result carries it.</summary>
public sealed record Machine(string Cpu, int Cores, long MemoryBytes, string Os, string Runtime)
{
    public static Machine Current() => new(
        CpuModel(),
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);

    public override string ToString() => $"{Cores} cores ({Cpu}), {MemoryBytes / (1L << 30)} GiB, {Os}, {Runtime}";

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        var line = File.Exists(cpuinfo) ? File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
    }
}
