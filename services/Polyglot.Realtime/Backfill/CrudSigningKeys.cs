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
/// check that asked waits for keys read since it asked, and only it: others go on with the keys
/// kept. Reads start at least <see cref="BaseConfigurationManager.RefreshInterval"/> (a second)
/// apart, so tokens with made-up key ids wait and cost crud little. Keys are read anew in the
/// background every <see cref="BaseConfigurationManager.AutomaticRefreshInterval"/> (5 minutes),
/// so a key crud no longer publishes is refused within that; when crud cannot be reached, the keys
/// read before still hold, as IdentityModel's "last known good" would hold them (off: a key
/// crud dropped must not come back through it). IdentityModel asks anew for every token it may
/// check again with other keys (an unknown key id, a bad signature, another issuer): each such
/// token waits up to a second and a read.
/// </para>
/// </summary>
internal sealed class CrudSigningKeys : BaseConfigurationManager, IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AsyncLocal<bool> _refreshAsked = new();
    private readonly Lock _lock = new();
    private OpenIdConnectConfiguration? _keys;
    private long _keysReadAt, _lastStartedAt;
    private long _started, _finished; // reads begun, and the number of the last one done
    private Task<OpenIdConnectConfiguration?>? _reading;

    /// <param name="http">Its timeout bounds a read: <see cref="Timeout"/>.</param>
    public CrudSigningKeys(HttpClient http, Uri tokenEndpoint, TimeProvider time, ILogger<CrudSigningKeys> logger)
    {
        (_http, _time, _logger) = (http, time, logger);
        MetadataAddress = new Uri(tokenEndpoint, "../.well-known/jwks").ToString();
        RefreshInterval = MinimumRefreshInterval;
        AutomaticRefreshInterval = MinimumAutomaticRefreshInterval;
        UseLastKnownGoodConfiguration = false;
    }

    /// <summary>A first read waits no longer than this: until it succeeds, subscribers are told "unavailable".</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The keys; read anew first when this flow asked for it (<see cref="RequestRefresh"/>).</summary>
    /// <exception cref="InvalidOperationException">They were never read: crud could not be reached.</exception>
    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        // Not async, nor is GetBaseConfigurationAsync: the flag is cleared in the caller's flow, not in a copy of it.
        var anew = _refreshAsked.Value;
        _refreshAsked.Value = false;
        return anew ? ReadAnewAsync(cancel) : KeptAsync(cancel);
    }

    public override Task<BaseConfiguration> GetBaseConfigurationAsync(CancellationToken cancel)
    {
        return AsBase(GetConfigurationAsync(cancel));

        static async Task<BaseConfiguration> AsBase(Task<OpenIdConnectConfiguration> keys) => await keys;
    }

    /// <summary>The next <see cref="GetConfigurationAsync"/> of this flow (the token handler's, right after) waits for keys read since.</summary>
    public override void RequestRefresh() => _refreshAsked.Value = true;

    private async Task<OpenIdConnectConfiguration> KeptAsync(CancellationToken cancel)
    {
        Task<OpenIdConnectConfiguration?>? reading;
        lock (_lock)
        {
            if (_keys is { } keys)
            {
                if (_time.GetElapsedTime(_keysReadAt) >= AutomaticRefreshInterval && _reading is null && _time.GetElapsedTime(_lastStartedAt) >= RefreshInterval)
                {
                    Read();
                }
                return keys;
            }
            // None yet: a read under way, or a new one a second after the last (failed) one.
            reading = _reading ?? (_time.GetElapsedTime(_lastStartedAt) >= RefreshInterval ? Read() : null);
        }
        if (reading is not null)
        {
            await reading.WaitAsync(cancel);
        }
        return KeysOrThrow();
    }

    /// <summary>Keys from a read begun after this was asked: a read under way is waited for first, and a new one begins a second after the last.</summary>
    private async Task<OpenIdConnectConfiguration> ReadAnewAsync(CancellationToken cancel)
    {
        long asked;
        lock (_lock)
        {
            asked = _started;
        }
        while (true)
        {
            Task<OpenIdConnectConfiguration?>? reading;
            var wait = TimeSpan.Zero;
            lock (_lock)
            {
                if (_finished > asked)
                {
                    return KeysOrThrow();
                }
                reading = _reading;
                if (reading is null)
                {
                    wait = RefreshInterval - _time.GetElapsedTime(_lastStartedAt);
                    reading = wait > TimeSpan.Zero ? null : Read();
                }
            }
            // Rounded up: a delay rounds down to whole milliseconds, and would return at once.
            await ((Task?)reading ?? Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), _time, cancel)).WaitAsync(cancel);
        }
    }

    private OpenIdConnectConfiguration KeysOrThrow() =>
        _keys ?? throw new InvalidOperationException($"crud's signing keys could not be read from {MetadataAddress}.");

    /// <summary>A new read, under the lock; it never throws: a failure is logged, and leaves the keys as they were.</summary>
    private Task<OpenIdConnectConfiguration?> Read()
    {
        var number = ++_started;
        _lastStartedAt = _time.GetTimestamp();
        // Not in the trace or log scope of the request that happened to start it.
        var flow = ExecutionContext.IsFlowSuppressed() ? default(AsyncFlowControl?) : ExecutionContext.SuppressFlow();
        try
        {
            return _reading = Task.Run(ReadOnceAsync);
        }
        finally
        {
            flow?.Undo();
        }

        async Task<OpenIdConnectConfiguration?> ReadOnceAsync()
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
                    (_keys, _keysReadAt) = (keys, _time.GetTimestamp());
                }
                return keys;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "crud's signing keys could not be read from {Address}", MetadataAddress);
                return null;
            }
            finally
            {
                lock (_lock)
                {
                    (_reading, _finished) = (null, number);
                }
            }
        }
    }
}
