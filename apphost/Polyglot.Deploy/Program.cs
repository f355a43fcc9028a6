using Polyglot.Deploy;

// dotnet run --project apphost/Polyglot.Deploy -- [--output deploy] [--topology split|monolith] [--dapr]
//   [--registry R] [--tag T] [--realtime-replicas N] [--external] [--parameter NAME=VALUE]...
//   [--manifest aspire-manifest.json]
// Publishes the app host's Aspire manifest into the output folder, then writes Kubernetes and
// Compose files generated from it. See the README's "Deploy" section.

var output = Path.GetFullPath(Option("--output") ?? "deploy");
var external = args.Contains("--external");
var busKind = args.Contains("--dapr") ? BusKind.Dapr : BusKind.MassTransit;
var topology = Enum.TryParse<Topology>(Option("--topology") ?? nameof(Topology.Split), ignoreCase: true, out var chosen) && Enum.IsDefined(chosen)
    ? chosen
    : throw new ArgumentException($"--topology is split or monolith, not '{Option("--topology")}'.");
var options = new DeployOptions(
    Option("--registry") ?? "",
    Option("--tag") ?? DeployOptions.DefaultTag,
    int.Parse(Option("--realtime-replicas") ?? "2"),
    Options("--parameter").Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : throw new ArgumentException($"--parameter {p[0]} needs =VALUE.")));

Directory.CreateDirectory(output);
var manifest = Path.Combine(output, "aspire-manifest.json");
if (Option("--manifest") is { } existing)
{
    File.Copy(existing, manifest, overwrite: true); // an app model published before
}
else
{
    AspireManifest.Publish(manifest, external, topology, busKind);
}
var written = DeployFolder.Write(AppModel.Load(manifest), options, output);
Console.WriteLine($"Wrote {output}:");
foreach (var file in written.Prepend("aspire-manifest.json"))
{
    Console.WriteLine($"  {file}");
}
return 0;

string? Option(string name) => Options(name).LastOrDefault();

IEnumerable<string> Options(string name) => args.Select((a, i) => (a, i)).Where(x => x.a == name && x.i + 1 < args.Length).Select(x => args[x.i + 1]);
