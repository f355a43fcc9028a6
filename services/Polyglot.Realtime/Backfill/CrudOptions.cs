using System.ComponentModel.DataAnnotations;
using Grpc.Core;
using Polyglot.Contracts.Auth;
using Polyglot.Contracts.Settings;

namespace Polyglot.Realtime.Backfill;

/// <summary>Where crud's event log is, and the service client realtime reads it as.</summary>
public sealed class CrudOptions
{
    public const string Section = "Crud";

    /// <summary>
    /// A call to crud (a page of its log, its head, a board member's role; the token it carries,
    /// when one must be fetched first, within the same time) is a few milliseconds' read: a crud
    /// that gives no answer within this is down, not slow, and the subscriber waiting on it is told
    /// "unavailable, resume later" rather than left hanging.
    /// </summary>
    public static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How a call to crud failed: its status, or DEADLINE_EXCEEDED for no answer within
    /// <see cref="CallDeadline"/> (a cancellation, as the channel reports it); null when the
    /// caller gave it up (<paramref name="ct"/>) or it is no call's failure.
    /// </summary>
    public static StatusCode? FailureOf(Exception exception, CancellationToken ct) => ct.IsCancellationRequested ? null : exception switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException => StatusCode.DeadlineExceeded,
        _ => null,
    };

    /// <summary>crud's gRPC endpoint; "_grpc.crud" resolves through Aspire's service discovery.</summary>
    [Required]
    public Uri Address { get; set; } = new($"http://_grpc.{AppModelNames.Crud}");

    /// <summary>crud's token endpoint, on its HTTP endpoint.</summary>
    [Required]
    public Uri TokenEndpoint { get; set; } = new($"http://_http.{AppModelNames.Crud}{TokenServerPaths.Token}");

    /// <summary>A client crud knows (its <c>Auth:Clients</c>) with the <c>events.all</c> scope.</summary>
    [Required]
    public string ClientId { get; set; } = "";

    [Required]
    public string ClientSecret { get; set; } = "";
}

[OptionsValidator]
public sealed partial class CrudOptionsValidator : IValidateOptions<CrudOptions>;
