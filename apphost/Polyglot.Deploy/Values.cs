using System.Text.RegularExpressions;

namespace Polyglot.Deploy;

/// <summary>
/// Resolves the manifest's expressions (<c>{bus.connectionString}</c>,
/// <c>{crud.bindings.grpc.url}</c>, <c>{bus-password.value}</c>, …) for one deploy target:
/// hosts become the target's service names, and each target decides how a parameter's value is
/// written (Kubernetes: the value itself, kept in a Secret; Compose: a ${VARIABLE} from .env).
/// </summary>
/// <param name="writeParameter">How the target writes a parameter's value into a setting: (name, value, secret) → text.</param>
public sealed partial class Values(AppModel model, IReadOnlyDictionary<string, string> parameters, Func<string, string, bool, string> writeParameter)
{
    /// <summary>Every parameter value used, by name: what a target must store as a secret or variable.</summary>
    public Dictionary<string, string> ParameterValues { get; } = [];

    public Setting Resolve(string expression)
    {
        var secret = false;
        var value = Placeholder().Replace(expression, match =>
        {
            var (text, isSecret) = Reference(match.Groups[1].Value);
            secret |= isSecret;
            return text;
        });
        return new Setting(value, secret);
    }

    /// <summary>The resources an expression depends on, directly or through connection strings and values.</summary>
    public HashSet<string> References(string expression)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        void Walk(string text)
        {
            foreach (Match match in Placeholder().Matches(text))
            {
                var resource = model[match.Groups[1].Value.Split('.')[0]];
                if (found.Add(resource.Name))
                {
                    Walk(resource.ConnectionString ?? "");
                    Walk(resource.Value ?? "");
                }
            }
        }
        Walk(expression);
        return found;
    }

    /// <summary>The value given for a parameter (see <see cref="DeployOptions.CompleteParameters"/>), or else the app model's default.</summary>
    private string ParameterValue(Resource parameter) => parameters.TryGetValue(parameter.Name, out var given)
        ? given
        : parameter.DefaultValue ?? throw new InvalidOperationException($"Parameter '{parameter.Name}' needs a value: pass --parameter {parameter.Name}=<value>.");

    private (string Text, bool Secret) Reference(string path)
    {
        var parts = path.Split('.');
        var resource = model[parts[0]];
        switch (parts[1..])
        {
            case ["connectionString"]:
                return Nested(resource.ConnectionString ?? throw Unknown(path));
            case ["value"] when resource.IsParameter:
                return Write(resource.Name, ParameterValue(resource), resource.Secret);
            case ["value"] when resource.Filter == "uri":
                // An annotated string: one parameter's value, URI-encoded (a password in a URL).
                var source = model[Placeholder().Match(resource.Value ?? throw Unknown(path)).Groups[1].Value.Split('.')[0]];
                return Write(resource.Name, Uri.EscapeDataString(ParameterValue(source)), source.Secret);
            case ["value"]:
                return Nested(resource.Value ?? throw Unknown(path));
            case ["bindings", var name, var property]:
                var binding = resource.Bindings.TryGetValue(name, out var b) ? b : throw Unknown(path);
                return (property switch
                {
                    "host" => resource.Name,
                    "port" or "targetPort" => binding.TargetPort.ToString(),
                    "url" => $"{binding.Scheme}://{resource.Name}:{binding.TargetPort}",
                    "scheme" => binding.Scheme,
                    _ => throw Unknown(path),
                }, false);
            default:
                throw Unknown(path);
        }
    }

    private (string, bool) Nested(string expression)
    {
        var setting = Resolve(expression);
        return (setting.Value, setting.Secret);
    }

    private (string, bool) Write(string name, string value, bool secret)
    {
        ParameterValues[name] = value;
        return (writeParameter(name, value, secret), secret);
    }

    private static InvalidOperationException Unknown(string path) => new($"Cannot resolve '{{{path}}}' from the app model.");

    [GeneratedRegex(@"\{([A-Za-z0-9_.-]+)\}")]
    private static partial Regex Placeholder();
}
