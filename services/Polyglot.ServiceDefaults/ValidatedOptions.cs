using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to a configuration section and validates it at
    /// start-up with <typeparamref name="TValidator"/>, an <c>[OptionsValidator]</c> generated from
    /// its data annotations. Not ValidateDataAnnotations: the reflection-based RangeAttribute is not
    /// thread-safe (dotnet/runtime#1143) and failed now and then when hosts started in parallel;
    /// the generated validator is.
    /// </summary>
    public static IServiceCollection AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services;
    }
}
