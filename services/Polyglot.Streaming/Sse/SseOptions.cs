using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Polyglot.Streaming.Sse;

public sealed class SseOptions
{
    public const string Section = "Sse";

    /// <summary>How often an idle SSE stream gets a comment line.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(25);
}

[OptionsValidator]
public sealed partial class SseOptionsValidator : IValidateOptions<SseOptions>;
