using System.Text;
using YamlDotNet.Serialization;

namespace Polyglot.Deploy;

/// <summary>
/// The Compose file for the app model, and its .env: every parameter (passwords, external
/// connection strings) is a ${VARIABLE} in the file and a value only in .env.
/// </summary>
public static class ComposeBuilder
{
    public static (ComposeFile File, string DotEnv) Build(AppModel model, DeployOptions options)
    {
        var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var values = new Values(model, options.Parameters, (name, value, _) =>
        {
            var variable = name.ToUpperInvariant().Replace('-', '_');
            variables[variable] = value;
            return "${" + variable + "}";
        });
        var workloads = model.Workloads.ToList();
        var services = new SortedDictionary<string, ComposeService>(StringComparer.Ordinal);
        foreach (var resource in workloads)
        {
            var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, expression) in model.SettingsOf(resource))
            {
                // A literal $ would read as a variable: escape it, then resolve the expressions.
                environment[name] = values.Resolve(expression.Replace("$", "$$")).Value;
            }
            var sidecar = DaprSidecars.HasSidecar(model, resource);
            if (sidecar)
            {
                var (variable, address) = DaprSidecars.ComposeSidecarAddress(resource);
                environment[variable] = address;
            }
            services[resource.Name] = new ComposeService
            {
                Image = resource.IsProject ? options.ImageOf(resource) : resource.Image!,
                Hostname = resource.IsContainer && resource.Volumes.Count > 0 ? resource.Name : null,
                Environment = environment.Count == 0 ? null : environment,
                // The services' ports on the host, as ./run.sh has them; the backing servers stay inside.
                Ports = resource.IsProject ? [.. resource.ServedBindings.Select(b => $"{b.TargetPort}:{b.TargetPort}")] : null,
                Volumes = resource.Volumes.Count == 0 ? null : [.. resource.Volumes.Select((v, i) => $"{VolumeName(resource, i)}:{v.Target}")],
                DependsOn = DependenciesOf(resource, workloads, values),
                Healthcheck = Healthcheck(resource),
                StopGracePeriod = Sizing.StopGraceSeconds(resource) is { } grace ? $"{grace}s" : null,
            };
            if (sidecar)
            {
                services[DaprSidecars.ComposeSidecarName(resource)] = DaprSidecars.ComposeSidecar(model, resource, values);
            }
        }
        var volumes = workloads.SelectMany(r => r.Volumes.Select((_, i) => VolumeName(r, i))).ToList();
        var file = new ComposeFile
        {
            Services = services,
            Volumes = volumes.Count == 0 ? null : new SortedDictionary<string, object?>(volumes.ToDictionary(v => v, _ => (object?)null), StringComparer.Ordinal),
        };
        var dotEnv = new StringBuilder("# Values for docker-compose.yaml's ${VARIABLES}: passwords and connection strings. Keep this file out of version control.\n");
        foreach (var (name, value) in variables)
        {
            // Single-quoted, which Compose reads as it is: unquoted, it expands a $ and cuts at a #.
            // A value never holds ' or ${ (DeploySettings refuses both; docker-compose 1.x expands ${...} even quoted).
            dotEnv.Append(name).Append("='").Append(value).Append("'\n");
        }
        return (file, dotEnv.ToString());
    }

    public static string Serialize(ComposeFile file) => new SerializerBuilder()
        .WithNamingConvention(YamlDotNet.Serialization.NamingConventions.UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .WithQuotingNecessaryStrings() // "true" and "5672" stay strings, as Compose wants them
        .Build()
        .Serialize(file);

    /// <summary>
    /// A workload waits for the backing servers its settings point at to be healthy. Not for other
    /// services: realtime reads crud only on demand and runs without it, as in the app host.
    /// </summary>
    private static SortedDictionary<string, ComposeDependency>? DependenciesOf(Resource resource, List<Resource> workloads, Values values)
    {
        var referenced = resource.Env.Values.SelectMany(values.References).ToHashSet(StringComparer.Ordinal);
        var dependencies = new SortedDictionary<string, ComposeDependency>(StringComparer.Ordinal);
        foreach (var server in workloads.Where(w => w.IsContainer && w != resource && referenced.Contains(w.Name)))
        {
            dependencies[server.Name] = new ComposeDependency();
        }
        return dependencies.Count == 0 ? null : dependencies;
    }

    private static ComposeHealthcheck Healthcheck(Resource resource)
    {
        if (resource.IsProject)
        {
            // The .NET images have bash but no curl: ask /health over bash's /dev/tcp. Ready is a
            // 200 (Healthy, or Degraded through a broker outage); 503 is Unhealthy.
            var port = resource.Bindings["http"].TargetPort;
            return new ComposeHealthcheck
            {
                Test = ["CMD", "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET {AppModelNames.HealthPath} HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"],
            };
        }
        var command = KnownImages.ReadinessCommand(resource)
            ?? ["bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{resource.ServedBindings.First().TargetPort}"];
        return new ComposeHealthcheck { Test = ["CMD", .. command] };
    }

    private static string VolumeName(Resource resource, int index) => index == 0 ? $"{resource.Name}-data" : $"{resource.Name}-data-{index}";
}
