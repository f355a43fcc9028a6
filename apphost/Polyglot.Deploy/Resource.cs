using System.Text.Json;

namespace Polyglot.Deploy;

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
    string? DefaultValue,
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
        var byDefault = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("default", out var d) ? d : default;
        var generate = byDefault.ValueKind == JsonValueKind.Object && byDefault.TryGetProperty("generate", out var g) ? g : default;
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
            byDefault.ValueKind == JsonValueKind.Object ? String(byDefault, "value") : null,
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
