using System.Net.Http.Json;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.AppHost.Tests;

/// <summary>The app host started as a user starts it, in either topology: a change on crud reaches a stream, and every service answers health and reflection.</summary>
public abstract class EndToEndTests<TFixture>(TFixture fixture) where TFixture : AppHostFixture
{
    protected TFixture Fixture => fixture;

    [Fact]
    public async Task ACardCreatedOnCrudArrivesOnAStreamWithItsPosition()
    {
        var crud = await fixture.CrudChannelAsync();
        var board = await new Boards.BoardsClient(crud).CreateBoardAsync(new CreateBoardRequest { Name = "End to end" });
        var column = await new Columns.ColumnsClient(crud).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        // Arrival is the claim, not speed (the benchmark measures that). In CI this app host shares
        // two cores with another and with the launch tests' app hosts, and once took over 5 s.
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var stream = new Contracts.Realtime.V1.Realtime.RealtimeClient(await fixture.StreamingChannelAsync())
            .Subscribe(new SubscribeRequest { Channel = $"board:{board.Id}" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);

        var card = await new Cards.CardsClient(crud).CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Across the split" });

        // The board's earlier events may arrive first.
        IntegrationEvent received;
        do
        {
            Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
            received = stream.ResponseStream.Current.Event;
        }
        while (received.PayloadCase != IntegrationEvent.PayloadOneofCase.CardCreated);
        Assert.Equal(card, received.CardCreated.Card);
        Assert.True(received.Position > 0);
    }

    [Fact]
    public async Task TheDevelopmentUserSignsInAndTheDevelopmentClientGetsATokenThatOwnsWhatItCreatesOverRest()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.App.GetEndpoint("crud", "http") };

        using var signedIn = await SignInForm.PostAsync(http, FirstAccounts.Local.UserName, await fixture.ParameterAsync(FirstAccounts.Local.PasswordParameter));
        var (status, token) = await TokenEndpoint.ClientCredentialsAsync(http, FirstAccounts.Local.ClientId,
            await fixture.ParameterAsync(FirstAccounts.Local.ClientSecretParameter), string.Join(' ', Contracts.Auth.ApiScopes.All));

        Assert.Equal(System.Net.HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        // The README's walk-through: with that token, a board created over REST is the client's own.
        http.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("access_token").GetString());
        using var created = await http.PostAsJsonAsync("/v1/boards", new { name = "Roadmap" });
        var boardId = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString();
        var members = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/boards/{boardId}/members");
        Assert.Equal((FirstAccounts.Local.ClientId, "ROLE_OWNER"), members.GetProperty("members").EnumerateArray()
            .Select(m => (m.GetProperty("user").GetString(), m.GetProperty("role").GetString())).Single());
    }

    [Fact]
    public async Task TheLivePageKnowsWhereToSignInAndCrudWillSendTheVisitorBackToIt()
    {
        var crud = fixture.App.GetEndpoint("crud", "http");
        var page = fixture.App.GetEndpoint(fixture.StreamingResource, "http");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        var config = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(page, "/live-config.json"))).RootElement;
        var authority = config.GetProperty("authority").GetString()!;
        using var authorize = await http.GetAsync(new Uri(authority.Length == 0 ? page : new Uri(authority),
            Pkce.Create().AuthorizePath(new Uri(page, "/"), clientId: config.GetProperty("clientId").GetString()!)));

        // Where the page signs in is crud (the page's own origin in the monolith, where crud serves it).
        Assert.Equal(crud.GetLeftPart(UriPartial.Authority), (authority.Length == 0 ? page : new Uri(authority)).GetLeftPart(UriPartial.Authority));
        // Not "invalid redirect_uri": crud sends the visitor to its sign-in form, to come back to the page.
        Assert.Equal(System.Net.HttpStatusCode.Redirect, authorize.StatusCode);
        Assert.StartsWith("/account/login", authorize.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task EveryServiceAnswersGrpcHealthAndReflection()
    {
        foreach (var (resource, service) in new[] { ("crud", "polyglot.boards.v1.Cards"), (fixture.StreamingResource, "polyglot.realtime.v1.Realtime") })
        {
            var channel = fixture.GrpcChannel(resource);

            var health = await new Grpc.Health.V1.Health.HealthClient(channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
            using var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
            await reflection.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
            Assert.True(await reflection.ResponseStream.MoveNext());
            var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name);

            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
            Assert.Contains(service, services);
            Assert.Contains("grpc.health.v1.Health", services);
        }
    }
}

[Collection(AppCollection.Name)]
public sealed class SplitEndToEndTests(AppFixture fixture) : EndToEndTests<AppFixture>(fixture);

public sealed class MonolithEndToEndTests(MonolithAppFixture fixture) : EndToEndTests<MonolithAppFixture>(fixture), IClassFixture<MonolithAppFixture>
{
    [Fact]
    public void TheMonolithRunsCrudAloneWithoutABusOrRealtime()
    {
        var model = Fixture.App.Services.GetRequiredService<DistributedApplicationModel>();

        Assert.Equal(["crud"], model.Resources.Select(r => r.Name).Where(n => n is "crud" or "bus" or "realtime"));
    }
}
