using System.Reflection;
using System.Security.Cryptography;

namespace Polyglot.Deploy;

/// <param name="Registry">Prefix of the service images (e.g. ghcr.io/you); empty for local images.</param>
/// <param name="Tag">Tag of the service images; the version `dotnet publish -t:PublishContainer` gives them.</param>
/// <param name="RealtimeReplicas">realtime pods; each binds its own queue, so each sees every event.</param>
/// <param name="Parameters">Values for the app model's parameters (passwords, external connection strings).</param>
public sealed record DeployOptions(string Registry, string Tag, int RealtimeReplicas, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>The repository's version (Directory.Build.props): the tag the service projects give their images.</summary>
    public static string DefaultTag { get; } =
        typeof(DeployOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>
    /// These options with a value for every parameter of the app model: the given ones, and a
    /// fresh random one for each parameter the model says to generate (the passwords), so that
    /// every file of one deploy folder agrees.
    /// </summary>
    public DeployOptions CompleteParameters(AppModel model)
    {
        var parameters = new Dictionary<string, string>(Parameters);
        foreach (var parameter in model.Resources.Values.Where(r => r.IsParameter && r.GenerateLength is not null))
        {
            parameters.TryAdd(parameter.Name, Generate(parameter.GenerateLength!.Value, parameter.GenerateSpecial));
        }
        return this with { Parameters = parameters };
    }

    private static string Generate(int length, bool special)
    {
        const string alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var alphabet = special ? alphanumeric + "-_.~" : alphanumeric;
        return string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]));
    }

    /// <summary>The image `dotnet publish -t:PublishContainer` builds for a service project (ContainerRepository polyglot-{name}).</summary>
    public string ImageOf(Resource project) => $"{(Registry.Length == 0 ? "" : Registry.TrimEnd('/') + "/")}polyglot-{project.Name}:{Tag}";
}
