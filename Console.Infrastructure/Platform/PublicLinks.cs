using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Platform;

/// <summary>
/// Every absolute link the app mails, shows or hands to a provider (password reset, invitations, payment links, media
/// for Meta) is built here from <c>Platform:PublicBaseUrl</c>, never from the request: a Host or X-Forwarded-Host
/// header is chosen by whoever sends the request, and a reset link pointing at their host hands them the token.
/// </summary>
public sealed class PublicLinks(IOptions<PlatformOptions> options)
{
    public const string DevelopmentBaseUrl = "http://localhost:5080";

    /// <summary>The public origin (and path base), always ending in '/'.</summary>
    public Uri Base { get; } = Normalize(options.Value.PublicBaseUrl)
        ?? throw new InvalidOperationException("Platform:PublicBaseUrl is not an absolute http(s) URL.");

    /// <summary>An absolute link to an app path ("Account/ResetPassword"), with optional query parameters.</summary>
    public string To(string relativePath, IReadOnlyDictionary<string, string?>? query = null)
    {
        var link = new Uri(Base, relativePath.TrimStart('/')).AbsoluteUri;
        return query is null ? link : QueryHelpers.AddQueryString(link, query);
    }

    public static Uri? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) return null;
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo)) return null;
        return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
    }
}

/// <summary>
/// Fails start with a clear message when the public URL is missing (Production) or not an absolute http(s) URL;
/// elsewhere a missing one falls back to the local address <c>./console.sh run</c> serves.
/// </summary>
public sealed class PublicBaseUrlSetup(IHostEnvironment env)
    : IPostConfigureOptions<PlatformOptions>, IValidateOptions<PlatformOptions>
{
    private static bool Configured(PlatformOptions options) => !string.IsNullOrWhiteSpace(options.PublicBaseUrl);

    public void PostConfigure(string? name, PlatformOptions options)
    {
        if (!Configured(options) && !env.IsProduction()) options.PublicBaseUrl = PublicLinks.DevelopmentBaseUrl;
    }

    // Runs after PostConfigure: in Production nothing was filled in, so "not configured" is still visible here.
    public ValidateOptionsResult Validate(string? name, PlatformOptions options)
    {
        if (!Configured(options) && env.IsProduction())
            return ValidateOptionsResult.Fail("Platform:PublicBaseUrl is required in Production: set it to the absolute http(s) URL "
                + "users reach the console at (e.g. https://console.example.com); every mailed or shared link is built from it.");
        return PublicLinks.Normalize(options.PublicBaseUrl) is null
            ? ValidateOptionsResult.Fail($"Platform:PublicBaseUrl '{options.PublicBaseUrl}' is not an absolute http(s) URL without query or credentials.")
            : ValidateOptionsResult.Success;
    }
}
