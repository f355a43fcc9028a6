using Spectre.Console.Cli;

namespace Polyglot.Deploy;

/// <summary>
/// Publishes the app host's Aspire manifest into the output folder (or copies one published
/// before), then writes the Kubernetes and Compose files generated from it (docs/deploy.md).
/// </summary>
public sealed class DeployCommand : Command<DeploySettings>
{
    public override int Execute(CommandContext context, DeploySettings settings, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(settings.Output);
        var options = new DeployOptions(settings.Registry, settings.Tag, settings.RealtimeReplicas!.Value,
            settings.Parameters.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]));
        Directory.CreateDirectory(output);
        var manifest = Path.Combine(output, "aspire-manifest.json");
        if (settings.Manifest is { } existing)
        {
            File.Copy(existing, manifest, overwrite: true);
        }
        else
        {
            AspireManifest.Publish(manifest, settings.External, settings.ChosenTopology!.Value, settings.Dapr ? BusKind.Dapr : BusKind.MassTransit);
        }
        var written = DeployFolder.Write(AppModel.Load(manifest), options, output);
        Console.WriteLine($"Wrote {output}:");
        foreach (var file in written.Prepend("aspire-manifest.json"))
        {
            Console.WriteLine($"  {file}");
        }
        return 0;
    }
}
