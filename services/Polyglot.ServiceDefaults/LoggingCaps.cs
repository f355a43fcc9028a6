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
    /// category (<c>Logging:LogLevel:OpenIddict.Server</c>, <c>*ServerDispatcher</c>) outranks it. So,
    /// after configuration's rules, the cap is added for every provider (and for those no rule names),
    /// and any rule that can match a category under it is raised to it.
    /// </summary>
    public static ILoggingBuilder NeverBelow(this ILoggingBuilder logging, string category, LogLevel minimum)
    {
        logging.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            for (var i = 0; i < options.Rules.Count; i++)
            {
                var rule = options.Rules[i];
                if (rule.CategoryName is { } name && CanMatchUnder(name, category) && (rule.LogLevel is null || rule.LogLevel < minimum))
                {
                    options.Rules[i] = new LoggerFilterRule(rule.ProviderName, name, minimum, rule.Filter);
                }
            }
            foreach (var provider in options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList())
            {
                options.Rules.Add(new LoggerFilterRule(provider, category, minimum, filter: null));
            }
        });
        return logging;
    }

    /// <summary>Whether a rule's category, which may hold one <c>*</c>, can match <paramref name="category"/> or one under it.</summary>
    private static bool CanMatchUnder(string ruleCategory, string category)
    {
        var wildcard = ruleCategory.IndexOf('*', StringComparison.Ordinal);
        var prefix = wildcard < 0 ? ruleCategory : ruleCategory[..wildcard];
        return prefix.StartsWith(category, StringComparison.OrdinalIgnoreCase)
            || (wildcard >= 0 && category.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
    }
}
