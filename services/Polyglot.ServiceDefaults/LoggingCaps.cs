using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>Log categories that must never log below a level, whatever configuration says.</summary>
public static class LoggingCaps
{
    /// <summary>
    /// <paramref name="category"/> and the categories under it log at <paramref name="minimum"/> or
    /// above for every provider. A plain filter is not enough: for each provider the logger picks one
    /// rule, and one naming the provider (<c>Logging:OpenTelemetry:LogLevel:Default</c>) or a longer
    /// category (<c>Logging:LogLevel:OpenIddict.Server</c>) outranks it. So, after configuration's
    /// rules, each provider named gets the cap too, and a rule under the category is raised to it.
    /// </summary>
    public static ILoggingBuilder NeverBelow(this ILoggingBuilder logging, string category, LogLevel minimum)
    {
        logging.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            var under = options.Rules.Select((rule, index) => (rule, index))
                .Where(r => r.rule.CategoryName is { } name && name.TrimEnd('*').StartsWith(category, StringComparison.OrdinalIgnoreCase) && r.rule.LogLevel < minimum)
                .ToList();
            foreach (var (rule, index) in under)
            {
                options.Rules[index] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, minimum, rule.Filter);
            }
            foreach (var provider in options.Rules.Select(r => r.ProviderName).Distinct().ToList())
            {
                options.Rules.Add(new LoggerFilterRule(provider, category, minimum, filter: null));
            }
        });
        return logging;
    }
}
