using Aspire.Hosting.Publishing;

namespace Polyglot.AppHost;

/// <summary>
/// An empty default for a secret parameter that is usually not given (Aspire refuses to publish a
/// secret's value as its default, even an empty one): the manifest says "value": "", and the
/// deploy generator writes it when no --parameter gives one.
/// </summary>
internal sealed class NoneByDefault : ParameterDefault
{
    public override string GetDefaultValue() => "";

    public override void WriteToManifest(ManifestPublishingContext context) => context.Writer.WriteString("value", "");
}
