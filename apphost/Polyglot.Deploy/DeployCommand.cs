using Spectre.Console.Cli;

namespace Polyglot.Deploy;

/// <summary>
/// Publishes the app host's Aspire manifest (or takes one published before), then writes the
/// Kubernetes and Compose files generated from it (docs/deploy.md). All of it is generated in a
/// folder of its own first: a failure — a parameter the model lacks, one it needs — leaves the
/// output folder as it was. What an earlier run wrote and this one does not (another topology's
/// manifests, which <c>kubectl apply -f kubernetes/</c> would apply too) is removed: the
/// manifests the earlier kustomization.yaml lists, and the Dapr components. Nothing else is.
/// </summary>
public sealed class DeployCommand : Command<DeploySettings>
{
    private const string ManifestFileName = "aspire-manifest.json";

    public override int Execute(CommandContext context, DeploySettings settings, CancellationToken cancellationToken)
    {
        var staging = Directory.CreateTempSubdirectory("polyglot-deploy-");
        try
        {
            var manifest = Path.Combine(staging.FullName, ManifestFileName);
            if (settings.Manifest is { } published)
            {
                File.Copy(published, manifest);
            }
            else
            {
                AspireManifest.Publish(manifest, settings.External, settings.ChosenTopology!.Value, settings.Dapr ? BusKind.Dapr : BusKind.MassTransit);
            }
            var model = AppModel.Load(manifest);
            var known = model.Resources.Values.Where(r => r.IsParameter).Select(r => r.Name).Order().ToList();
            if (settings.ParameterValues.Keys.FirstOrDefault(name => !known.Contains(name)) is { } unknown)
            {
                throw new InvalidOperationException($"--parameter {unknown}: the app model has no parameter of that name (it has {string.Join(", ", known)}).");
            }
            // Known from the model, which a --manifest may bring: MassTransit also takes its own
            // rabbitmq://, but Dapr's RabbitMQ pub/sub would fail to start on it.
            if (DaprSidecars.Enabled(model) && settings.ParameterValues.GetValueOrDefault(AppModelNames.Bus) is { } bus && BrokerAddress.Parse(bus)?.Scheme is not ("amqp" or "amqps"))
            {
                throw new InvalidOperationException($"--parameter {AppModelNames.Bus}: on Dapr, the broker's connection string is an amqp:// or amqps:// URI (Dapr's RabbitMQ pub/sub takes no other).");
            }
            var options = new DeployOptions(settings.Registry, settings.Tag, settings.RealtimeReplicas!.Value, settings.ParameterValues);
            var written = DeployFolder.Write(model, options, staging.FullName).Prepend(ManifestFileName).ToList();

            var output = Path.GetFullPath(settings.Output);
            var stale = WrittenBefore(output).Except(written).ToList();
            foreach (var file in written)
            {
                var target = Path.Combine(output, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(staging.FullName, file), target, overwrite: true);
            }
            Console.WriteLine($"Wrote {output}:");
            written.ForEach(file => Console.WriteLine($"  {file}"));
            foreach (var file in stale)
            {
                File.Delete(Path.Combine(output, file));
                Console.WriteLine($"Removed {file}: an earlier run's, not this one's");
            }
            return 0;
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    /// <summary>What an earlier run into <paramref name="output"/> wrote that is still there, named as <see cref="DeployFolder.Write"/> names it.</summary>
    private static IEnumerable<string> WrittenBefore(string output) =>
        DeployFolder.ManifestsListedIn(output)
            .Concat(DaprSidecars.ComponentFiles().Keys.Select(name => $"{DaprSidecars.ComponentsDirectory}/{name}"))
            .Where(file => File.Exists(Path.Combine(output, file)));
}
