using System.Collections.Concurrent;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using Polyglot.Contracts.Auth;

namespace Polyglot.LocalServers;

/// <summary>
/// What a crud started here needs to issue tokens (its key secrets, an issuer), and the service
/// client that the tests, the benchmark and the chaos suite sign in as: client credentials at
/// crud's token endpoint, then <c>authorization: Bearer</c> on every call, as a real service does.
/// The secrets are made per run; a caller of a crud started elsewhere (the app host's) names the
/// client it was given.
/// </summary>
/// <param name="scopes">The scopes it asks for; null for every one.</param>
public sealed class LocalAuth(string clientId, string clientSecret, IReadOnlyList<string>? scopes = null)
{
    public static LocalAuth Shared { get; } = new("polyglot-local", NewSecret());

    /// <summary>A client like a person: the boards API and its boards' streams, not every channel (no <c>events.all</c>).</summary>
    public static LocalAuth Member { get; } = new("polyglot-local-member", NewSecret(), [ApiScopes.Boards, ApiScopes.Events]);

    /// <summary>
    /// The issuer every crud started here names, so a token taken at crud's HTTP address holds at
    /// its gRPC address and at its replicas (which share the keys). An identifier, not an address.
    /// </summary>
    public static readonly Uri Issuer = new("http://crud.polyglot.local/");

    private readonly string _signingKey = NewSecret();
    private readonly string _encryptionKey = NewSecret();
    private readonly ConcurrentDictionary<Uri, ClientCredentials> _tokens = new();

    /// <summary>The service client the callers sign in as: for a crud started here, one made with the run's secret.</summary>
    public string ClientId { get; } = clientId;

    public string ClientSecret { get; } = clientSecret;

    public IReadOnlyList<string> Scopes { get; } = scopes ?? ApiScopes.All;

    /// <summary>
    /// crud's settings for it: keys, issuer, and this client with its scopes — under the
    /// client key "local", so that a caller's own numbered clients sit beside it.
    /// </summary>
    /// <param name="separator">":" for configuration keys, "__" for environment variables.</param>
    public Dictionary<string, string> CrudSettings(string separator = "__") => new Dictionary<string, string>
    {
        ["Auth:SigningKey"] = _signingKey,
        ["Auth:EncryptionKey"] = _encryptionKey,
        ["Auth:Issuer"] = Issuer.ToString(),
    }.Concat(ClientSettings("local", ":")).ToDictionary(s => s.Key.Replace(":", separator, StringComparison.Ordinal), s => s.Value);

    /// <summary>This client as crud's configuration names one (<c>Auth:Clients:{key}</c>): to add it to a crud beside others.</summary>
    /// <param name="separator">":" for configuration keys, "__" for environment variables.</param>
    public Dictionary<string, string> ClientSettings(string key, string separator = "__") => new Dictionary<string, string>
    {
        [$"Auth:Clients:{key}:Id"] = ClientId,
        [$"Auth:Clients:{key}:Secret"] = ClientSecret,
    }.Concat(Scopes.Select((scope, i) => KeyValuePair.Create($"Auth:Clients:{key}:Scopes:{i}", scope)))
        .ToDictionary(s => s.Key.Replace(":", separator, StringComparison.Ordinal), s => s.Value);

    /// <summary>
    /// realtime's settings for the crud at these addresses: reading its event log and board
    /// membership as this client, and checking subscribers' tokens with its keys and issuer.
    /// </summary>
    /// <param name="separator">":" for configuration keys, "__" for environment variables.</param>
    public Dictionary<string, string> RealtimeSettings(Uri crudGrpc, Uri crudHttp, string separator = "__") => new()
    {
        [$"Auth{separator}Issuer"] = Issuer.ToString(),
        [$"Crud{separator}Address"] = crudGrpc.ToString(),
        [$"Crud{separator}TokenEndpoint"] = new Uri(crudHttp, TokenServerPaths.Token).ToString(),
        [$"Crud{separator}ClientId"] = ClientId,
        [$"Crud{separator}ClientSecret"] = ClientSecret,
    };

    /// <summary>A channel to crud's gRPC address whose calls carry a token from crud's HTTP address.</summary>
    public GrpcChannel CrudChannel(Uri grpcAddress, Uri httpAddress, GrpcChannelOptions? options = null) => SignedInChannel(grpcAddress, httpAddress, options);

    public GrpcChannel CrudChannel(ServiceProcess crud, GrpcChannelOptions? options = null) => CrudChannel(crud.GrpcAddress, crud.HttpAddress, options);

    /// <summary>A channel to the streaming side's gRPC address (realtime, or the monolith) whose calls carry a token from the crud at <paramref name="crudHttp"/>.</summary>
    public GrpcChannel StreamingChannel(Uri grpcAddress, Uri crudHttp, GrpcChannelOptions? options = null) => SignedInChannel(grpcAddress, crudHttp, options);

    /// <summary>A client of crud's REST API at <paramref name="httpAddress"/> whose requests carry a token.</summary>
    public HttpClient CrudHttpClient(Uri httpAddress) => SignedInHttpClient(httpAddress, httpAddress);

    /// <summary>A client of <paramref name="address"/> (crud's REST API, or the streaming side's SSE) whose requests carry a token from the crud at <paramref name="crudHttp"/>.</summary>
    /// <param name="handler">The handler that sends the requests; null for a default one.</param>
    public HttpClient SignedInHttpClient(Uri address, Uri crudHttp, HttpMessageHandler? handler = null) =>
        new(new BearerToken(this, crudHttp) { InnerHandler = handler ?? new SocketsHttpHandler() }) { BaseAddress = address };

    private GrpcChannel SignedInChannel(Uri address, Uri crudHttp, GrpcChannelOptions? options)
    {
        options ??= new GrpcChannelOptions();
        options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor(async (context, metadata) =>
            metadata.Add("authorization", $"Bearer {await AccessTokenAsync(crudHttp, context.CancellationToken)}")));
        // Polyglot speaks plain HTTP behind whatever terminates TLS; the token goes along anyway.
        options.UnsafeUseInsecureChannelCallCredentials = true;
        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>An access token from the crud at <paramref name="httpAddress"/>, kept until a minute before it expires.</summary>
    public Task<string> AccessTokenAsync(Uri httpAddress, CancellationToken ct = default) =>
        _tokens.GetOrAdd(httpAddress, address => new ClientCredentials(() => new HttpClient(), new Uri(address, TokenServerPaths.Token), ClientId, ClientSecret, string.Join(' ', Scopes)))
            .AccessTokenAsync(ct);

    private sealed class BearerToken(LocalAuth auth, Uri httpAddress) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            request.Headers.Authorization = new("Bearer", await auth.AccessTokenAsync(httpAddress, ct));
            return await base.SendAsync(request, ct);
        }
    }

    private static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
}
