using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OperatorConsole.Infrastructure.Options;

public static class OptionsSetup
{
    /// <summary>
    /// Binds one configuration section to its one options class and checks the class's data annotations when the host
    /// starts, so a bad value stops the start instead of failing on first use (or never).
    /// </summary>
    public static OptionsBuilder<T> AddSection<T>(this IServiceCollection services, string section) where T : class
    {
        // The framework's ValidateDataAnnotations() runs the same checks but names the class ("MediaOptions"), not the
        // key an operator has to fix ("Media:MaxBytes"): this validator reports the key.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>>(new SectionAnnotationsValidator<T>(section)));
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }
}

/// <summary>Data annotations (and <see cref="IValidatableObject"/>) of a section's options class, failures named by their key.</summary>
public sealed class SectionAnnotationsValidator<T>(string section) : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        if (name != Microsoft.Extensions.Options.Options.DefaultName) return ValidateOptionsResult.Skip;
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            return ValidateOptionsResult.Success;
        return ValidateOptionsResult.Fail(results.Select(r =>
        {
            var message = r.ErrorMessage ?? "invalid value";
            // Messages written for a rule (IValidatableObject) may already name their key.
            return message.StartsWith(section + ":", StringComparison.Ordinal) || !r.MemberNames.Any()
                ? message : $"{section}:{string.Join(", ", r.MemberNames)}: {message}";
        }));
    }
}

/// <summary>An absolute http(s) URL, or nothing (empty means "not configured"; add [Required] when it must be set).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class HttpUrlAttribute : ValidationAttribute
{
    public HttpUrlAttribute() : base("The field {0} must be an absolute http(s) URL.") { }

    public override bool IsValid(object? value) => value is not string text || string.IsNullOrWhiteSpace(text)
        || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));
}
