using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.App.Hosting;

/// <summary>Request budgets (key RateLimits). Every limit rejects at once, nothing is queued.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sign-in attempts from one client address per minute.</summary>
    [Range(1, int.MaxValue)] public int LoginPerIpPerMinute { get; set; } = 20;

    /// <summary>Sign-in attempts for one account per 15 minutes, from all addresses together.</summary>
    [Range(1, int.MaxValue)] public int LoginPerAccountPer15Minutes { get; set; } = 30;

    /// <summary>Failed sign-ins for one account from one address before that pair is locked out.</summary>
    [Range(1, int.MaxValue)] public int LockoutFailures { get; set; } = 5;

    [Range(1, int.MaxValue)] public int LockoutMinutes { get; set; } = 15;

    [Range(1, int.MaxValue)] public int ForgotPasswordPerIpPerMinute { get; set; } = 5;

    [Range(1, int.MaxValue)] public int ForgotPasswordPerAccountPerHour { get; set; } = 5;

    /// <summary>Sign-up and confirmation-resend form posts from one client address per hour (bot protection).</summary>
    [Range(1, int.MaxValue)] public int SignupPerIpPerHour { get; set; } = 10;

    /// <summary>REST API requests per API key per minute (requests without a key: per client address).</summary>
    [Range(1, int.MaxValue)] public int ApiPerKeyPerMinute { get; set; } = 1200;

    /// <summary>Webhook deliveries per source (/webhooks/{kind}[/{slug}]) per second: generous, Meta sends bursts.</summary>
    [Range(1, int.MaxValue)] public int WebhooksPerSourcePerSecond { get; set; } = 10000;
}

public static class RateLimits
{
    public static IServiceCollection AddConsoleRateLimits(this IServiceCollection services)
    {
        services.AddSection<RateLimitOptions>("RateLimits");
        services.AddSingleton<Auth.SignInThrottle>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            var l = limits.Value;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Machine routes only: the sign-in pages limit inside the form handler (the account is in the form body,
            // and the answer there is a localized page).
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var path = context.Request.Path;
                if (path.StartsWithSegments("/api"))
                    return RateLimitPartition.GetFixedWindowLimiter(ApiPartition(context), _ => new FixedWindowRateLimiterOptions
                        { PermitLimit = l.ApiPerKeyPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
                if (path.StartsWithSegments("/webhooks"))
                    return RateLimitPartition.GetFixedWindowLimiter(WebhookPartition(path), _ => new FixedWindowRateLimiterOptions
                        { PermitLimit = l.WebhooksPerSourcePerSecond, Window = TimeSpan.FromSeconds(1), QueueLimit = 0 });
                // Creating workspaces and sending mail: a form post here costs a row and an e-mail, so each address gets a few.
                if (HttpMethods.IsPost(context.Request.Method)
                    && (path.StartsWithSegments("/Account/Register") || path.StartsWithSegments("/Account/ResendConfirmation")))
                    return RateLimitPartition.GetFixedWindowLimiter("signup:" + ClientAddress(context), _ => new FixedWindowRateLimiterOptions
                        { PermitLimit = l.SignupPerIpPerHour, Window = TimeSpan.FromHours(1), QueueLimit = 0 });
                return RateLimitPartition.GetNoLimiter("none");
            });
            o.OnRejected = async (rejected, ct) =>
            {
                var http = rejected.HttpContext;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                // A person posting the sign-up form gets a sentence in their language, not an API problem document.
                if (!Pipeline.IsMachineRoute(http.Request.Path))
                {
                    var text = http.RequestServices.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<Resources.SharedResource>>();
                    http.Response.ContentType = "text/html; charset=utf-8";
                    await http.Response.WriteAsync("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Console</title></head><body><p>"
                        + System.Net.WebUtility.HtmlEncode(text["Security.TooManyAttempts"]) + "</p><p><a href=\"/Account/Login\">"
                        + System.Net.WebUtility.HtmlEncode(text["Login.Title"]) + "</a></p></body></html>", ct);
                    return;
                }
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Extensions = Api.ApiProblems.Coded("api.rate_limited") },
                });
            };
        });
        return services;
    }

    /// <summary>
    /// The key's hash, not the key: partition keys live in memory for the window and may show up in diagnostics.
    /// Invalid keys get their own partitions too, which is harmless (they answer 401 anyway).
    /// </summary>
    private static string ApiPartition(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim())), 0, 12);
        return "ip:" + ClientAddress(context);
    }

    private static string WebhookPartition(PathString path)
    {
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return "hook:" + string.Join('/', segments.Take(3)).ToLowerInvariant();
    }

    /// <summary>The client's address after forwarded headers from trusted proxies were applied.</summary>
    public static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
