using Polyglot.Contracts.Auth;

namespace Polyglot.Crud.Tests;

/// <summary>
/// Two crud processes on one database, each with a home directory of its own, as two pods have
/// behind a load balancer without sticky sessions: a person's sign-in holds on whichever replica a
/// request reaches.
/// </summary>
public sealed class SignInAcrossReplicasTests
{
    private const string Password = "correct horse battery staple";
    private static readonly Uri Page = new("http://page.polyglot.test/");

    [Fact]
    public async Task AFormFromOneReplicaSignsInOnTheOtherAndTheFirstTakesTheCookieTheOtherSet()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(120));
        var database = SqliteFile.NewConnectionString();
        var bus = await LocalServer.RabbitMQAsync();
        string[] homes = [.. Enumerable.Range(0, 2).Select(_ => Directory.CreateTempSubdirectory("polyglot-crud-home-").FullName)];
        ServiceProcess Replica(string home) => new("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = database,
            ["ConnectionStrings__bus"] = bus.ConnectionString,
            ["Auth__Users__0__Name"] = "ann",
            ["Auth__Users__0__Password"] = Password,
            ["Auth__LivePageRedirectUris__0"] = Page.ToString(),
            ["HOME"] = home,
        });
        try
        {
            await using var first = Replica(homes[0]);
            await first.StartAsync();
            await using var second = Replica(homes[1]);
            await second.StartAsync();
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = second.HttpAddress };

            // The form from the first, posted to the second.
            using var signedIn = await SignInForm.PostAsync(http, "ann", Password, formFrom: first.HttpAddress);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

            // The second's cookie, at the first: a code, not the sign-in form.
            using var authorize = await http.GetAsync(new Uri(first.HttpAddress, Pkce.Create().AuthorizePath(Page)), timeout.Token);
            Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
            Assert.StartsWith($"{Page}?code=", authorize.Headers.Location?.ToString());
        }
        finally
        {
            Array.ForEach(homes, home => Directory.Delete(home, recursive: true));
        }
    }
}
