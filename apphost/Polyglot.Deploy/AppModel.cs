using System.Text.Json;
using System.Text.RegularExpressions;

namespace Polyglot.Deploy;

/// <summary>
/// The app model as Aspire's manifest publisher writes it (aspire-manifest.json): the one
/// description of what runs, which both deploy targets are generated from.
/// </summary>
public sealed partial record AppModel(IReadOnlyDictionary<string, Resource> Resources)
{
    public static AppModel Load(string manifestPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var resources = document.RootElement.GetProperty("resources").EnumerateObject()
            .ToDictionary(r => r.Name, r => Resource.From(r.Name, r.Value));
        return new AppModel(resources);
    }

    public Resource this[string name] => Resources.TryGetValue(name, out var resource)
        ? resource
        : throw new InvalidOperationException($"The app model has no resource '{name}'.");

    public IEnumerable<Resource> Workloads => Resources.Values.Where(r => r.IsProject || r.IsContainer);

    /// <summary>A resource's settings, without those that point at a binding no deployment serves.</summary>
    public IEnumerable<KeyValuePair<string, string>> SettingsOf(Resource resource) =>
        resource.Env.Where(setting => !BindingReference().Matches(setting.Value).Any(m =>
            this[m.Groups[1].Value].Bindings.TryGetValue(m.Groups[2].Value, out var binding) && !binding.IsServed));

    [GeneratedRegex(@"\{([A-Za-z0-9_-]+)\.bindings\.([A-Za-z0-9_-]+)\.")]
    private static partial Regex BindingReference();
}

public sealed record Binding(string Name, string Scheme, string Transport, int TargetPort)
{
    /// <summary>
    /// Aspire gives every project a default https binding in publish mode; Polyglot's services
    /// speak plain HTTP/1.1 and h2c inside the cluster and leave TLS to the ingress.
    /// </summary>
    public bool IsServed => Scheme != "https";
}

public sealed record Volume(string Name, string Target);

public sealed record Resource(
    string Name,
    string Type,
    string? Image,
    string? ConnectionString,
    string? Value,
    string? Filter,
    bool Secret,
    int? GenerateLength,
    bool GenerateSpecial,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyDictionary<string, Binding> Bindings,
    IReadOnlyList<Volume> Volumes)
{
    public bool IsProject => Type.StartsWith("project.", StringComparison.Ordinal);

    public bool IsContainer => Type.StartsWith("container.", StringComparison.Ordinal);

    public bool IsParameter => Type.StartsWith("parameter.", StringComparison.Ordinal);

    public IEnumerable<Binding> ServedBindings => Bindings.Values.Where(b => b.IsServed);

    internal static Resource From(string name, JsonElement json)
    {
        var input = json.TryGetProperty("inputs", out var inputs) && inputs.TryGetProperty("value", out var value) ? value : default;
        var generate = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("default", out var d) && d.TryGetProperty("generate", out var g) ? g : default;
        return new Resource(
            name,
            json.GetProperty("type").GetString()!,
            String(json, "image"),
            String(json, "connectionString"),
            String(json, "value"),
            String(json, "filter"),
            input.ValueKind == JsonValueKind.Object && input.TryGetProperty("secret", out var secret) && secret.GetBoolean(),
            generate.ValueKind == JsonValueKind.Object ? (generate.TryGetProperty("minLength", out var length) ? length.GetInt32() : 22) : null,
            generate.ValueKind == JsonValueKind.Object && generate.TryGetProperty("special", out var special) && special.GetBoolean(),
            json.TryGetProperty("env", out var env) ? env.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!) : [],
            json.TryGetProperty("bindings", out var bindings)
                ? bindings.EnumerateObject().ToDictionary(b => b.Name, b => new Binding(
                    b.Name,
                    b.Value.GetProperty("scheme").GetString()!,
                    b.Value.GetProperty("transport").GetString()!,
                    b.Value.GetProperty("targetPort").GetInt32()))
                : [],
            json.TryGetProperty("volumes", out var volumes)
                ? [.. volumes.EnumerateArray().Select(v => new Volume(v.GetProperty("name").GetString()!, v.GetProperty("target").GetString()!))]
                : []);
    }

    private static string? String(JsonElement json, string property) =>
        json.TryGetProperty(property, out var value) ? value.GetString() : null;
}
