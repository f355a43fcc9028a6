using System.Net;
using System.Net.Http.Json;
using Polyglot.Deploy;
using Polyglot.LocalServers;
using Polyglot.Testing;

namespace Polyglot.Deploy.Tests;

/// <summary>
/// crud run on the settings a generated deployment gives it (its ConfigMap and Secret, as
/// Production), against real PostgreSQL and RabbitMQ passed as external servers: what an operator
/// who applied the manifests can do with it.
/// </summary>
public sealed class DeployedCrudTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"polyglot-deployed-crud-{Guid.NewGuid():N}");

    [Fact]
    public async Task AFreshDeploymentsAdminSignsInAndItsServiceClientCallsTheApi()
    {
        var bus = await LocalServer.RabbitMQAsync();
        Directory.CreateDirectory(_output);
        var manifest = Path.Combine(_output, "aspire-manifest.json");
        AspireManifest.Publish(manifest, external: true, build: false);
        var parameters = new Dictionary<string, string> { ["bus"] = bus.ConnectionString, ["db"] = await LocalServer.NewPostgresDatabaseAsync() };
        DeployFolder.Write(AppModel.Load(manifest), new DeployOptions("", "1.0.0", 1, parameters), _output);
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(_output, "kubernetes/crud.yaml")) + "\n---\n"
            + File.ReadAllText(Path.Combine(_output, "kubernetes/secrets.yaml")), strict: true);
        var settings = objects.OfType<V1ConfigMap>().Single(m => m.Metadata.Name == "crud-config").Data
            .Concat(objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "crud-secrets").StringData)
            .ToDictionary();

        await using var crud = new ServiceProcess("Polyglot.Crud", settings);
        crud.SetEnvironment("DOTNET_ENVIRONMENT", "Production");
        await crud.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = crud.HttpAddress };

        // The accounts docs/deploy.md names, their secrets where it says they are.
        using var signedIn = await SignInForm.PostAsync(http, "admin", settings["Auth__Users__0__Password"]);
        var (status, token) = await TokenEndpoint.ClientCredentialsAsync(http, "polyglot-admin", settings["Auth__Clients__0__Secret"], "boards");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        http.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("access_token").GetString());
        using var created = await http.PostAsJsonAsync("/v1/boards", new { name = "First" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }
}
