using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// crud's public signing keys, read from its key set (<c>/.well-known/jwks</c> beside its token
/// endpoint) rather than through its discovery document: that names the issuer's addresses, which
/// are what browsers and clients use, not necessarily what realtime reaches crud at.
/// <para>
/// JwtBearer's token handler, finding a token signed with a key it does not know (crud's keys
/// rotated), asks for the keys anew and checks the token again. IdentityModel's own
/// ConfigurationManager reads them anew in the background (since 8.x), so that token, and every
/// other until the read was in, was refused: the first subscribers after each rotation. Here the
/// check that asked waits for the keys read anew, and only that one: others go on with the keys
/// kept. Reads asked for so are at least <see cref="BaseConfigurationManager.RefreshInterval"/>
/// (a second) apart, so tokens with made-up key ids wait and cost crud little. Keys kept longer
/// than <see cref="BaseConfigurationManager.AutomaticRefreshInterval"/> are read anew in the
/// background; when crud cannot be reached, the keys read before still hold.
/// </para>
/// </summary>
internal sealed class CrudSigningKeys : BaseConfigurationManager, IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly HttpClient _http;
    private readonly AsyncLocal<bool> _refreshAsked = new();
    private readonly Lock _lock = new();
    private OpenIdConnectConfiguration? _keys;
    private DateTimeOffset _readAt, _triedAt;
    private long _reads;
    private Task<OpenIdConnectConfiguration>? _reading;

    /// <param name="http">Its timeout bounds a read: <see cref="Timeout"/>.</param>
    public CrudSigningKeys(HttpClient http, Uri tokenEndpoint)
    {
        _http = http;
        MetadataAddress = new Uri(tokenEndpoint, "../.well-known/jwks").ToString();
        RefreshInterval = MinimumRefreshInterval;
    }

    /// <summary>A first read waits no longer than this: until it succeeds, subscribers are told "unavailable".</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The keys; read anew first when this flow asked for it (<see cref="RequestRefresh"/>).</summary>
    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        // Not async: a change to an AsyncLocal made here reaches the caller.
        var anew = _refreshAsked.Value;
        _refreshAsked.Value = false;
        return anew ? ReadAnewAsync(cancel) : KeptAsync(cancel);
    }

    public override async Task<BaseConfiguration> GetBaseConfigurationAsync(CancellationToken cancel) => await GetConfigurationAsync(cancel);

    /// <summary>The next <see cref="GetConfigurationAsync"/> of this flow (the token handler's, right after) waits for the keys read anew.</summary>
    public override void RequestRefresh() => _refreshAsked.Value = true;

    private async Task<OpenIdConnectConfiguration> KeptAsync(CancellationToken cancel)
    {
        Task<OpenIdConnectConfiguration> reading;
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            if (_keys is { } keys)
            {
                if (now - _readAt >= AutomaticRefreshInterval && now - _triedAt >= RefreshInterval)
                {
                    _ = Read();
                }
                return keys;
            }
            reading = Read();
        }
        return await OrKeptAsync(reading, cancel);
    }

    /// <summary>Keys read since this was asked: a read begun since, or a new one a second after the last.</summary>
    private async Task<OpenIdConnectConfiguration> ReadAnewAsync(CancellationToken cancel)
    {
        long asked;
        TimeSpan wait;
        lock (_lock)
        {
            (asked, wait) = (_reads, _triedAt + RefreshInterval - DateTimeOffset.UtcNow);
        }
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancel);
        }
        Task<OpenIdConnectConfiguration> reading;
        lock (_lock)
        {
            reading = _reads == asked || _keys is null ? Read() : _reading ?? Task.FromResult(_keys);
        }
        return await OrKeptAsync(reading, cancel);
    }

    /// <summary>The keys read, or those read before when crud cannot be reached.</summary>
    private async Task<OpenIdConnectConfiguration> OrKeptAsync(Task<OpenIdConnectConfiguration> reading, CancellationToken cancel)
    {
        try
        {
            return await reading.WaitAsync(cancel);
        }
        catch (Exception ex) when (!cancel.IsCancellationRequested)
        {
            return _keys ?? throw new InvalidOperationException($"crud's signing keys could not be read from {MetadataAddress}.", ex);
        }
    }

    /// <summary>The read under way, or a new one; under the lock.</summary>
    private Task<OpenIdConnectConfiguration> Read()
    {
        if (_reading is { } reading)
        {
            return reading;
        }
        (_triedAt, _reads) = (DateTimeOffset.UtcNow, _reads + 1);
        return _reading = Task.Run(async () =>
        {
            try
            {
                var keys = new OpenIdConnectConfiguration();
                foreach (var key in new JsonWebKeySet(await _http.GetStringAsync(MetadataAddress)).GetSigningKeys())
                {
                    keys.SigningKeys.Add(key);
                }
                lock (_lock)
                {
                    (_keys, _readAt) = (keys, DateTimeOffset.UtcNow);
                }
                return keys;
            }
            finally
            {
                lock (_lock)
                {
                    _reading = null;
                }
            }
        });
    }
}
